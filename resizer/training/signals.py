"""Preemption notices: SIGTERM makes a run save a checkpoint after the current step and stop
(Preempted: exit 1 with one line; the same command resumes).

One worker: `StopOnSigterm` turns SIGTERM into a flag checked after each step.

Several workers (MultiWorkerMirroredStrategy): a worker that stopped alone would leave the
others waiting in the next collective, so `CoordinatedStop` hands the flag to TensorFlow's
`tf.distribute.experimental.PreemptionCheckpointHandler`, which agrees on one step through
the coordination service: every worker trains up to it, saves (the chief into the model
directory, the others into their scratch folders) and raises Preempted.
"""

from __future__ import annotations

import signal

import tensorflow as tf
from tensorflow.python.distribute.failure_handling import failure_handling_util
from tensorflow.python.util import deprecation


class Preempted(RuntimeError):
    """SIGTERM arrived; the run saved a checkpoint and stopped (restart the command to resume)."""


class StopOnSigterm:
    """Turns SIGTERM into a flag checked after each step; the previous handler comes back on exit."""

    def __init__(self, model_dir):
        self.requested, self.model_dir, self.previous = False, model_dir, None

    def __enter__(self):
        self.previous = signal.signal(signal.SIGTERM, self._handle)
        return self

    def _handle(self, signum, frame):
        self.requested = True

    def __exit__(self, *exc):
        signal.signal(signal.SIGTERM, self.previous)

    def after_step(self, current, save):
        """Called after step `current`; `save(step)` writes a checkpoint."""
        if self.requested:
            save(current)
            raise Preempted(f"SIGTERM: saved step {current} to {self.model_dir}; run the same command to resume")


class CoordinatedStop:
    """A multi-worker run's preemption: TF's PreemptionCheckpointHandler fed by a StopOnSigterm.

    The handler counts its calls from the value it restores at creation (its `checkpointed_runs`,
    kept in our checkpoint), and the workers' counts must agree: so every worker's handler reads
    the chief's model directory (`reader`), the checkpoint that every worker has just restored,
    not its own scratch copies. Saving goes through `save` (ours: step counter, batch-norm
    sync, rotation), so a preemption checkpoint is one of the run's own.

    The notice is our SIGTERM flag (termination_watcher_fn, polled each second) rather than the
    handler's own SIGTERM handler, which stays installed for the rest of the process (a
    SIGTERM during the final evaluation would then be swallowed) and which the handler replaces
    by a maintenance-event watcher on GCP VMs; grace_period=0: save at the agreed step, not
    train on through a platform's grace period.
    """

    def __init__(self, strategy, reader, stop, model_dir, workers):
        self.stop, self.model_dir, self.workers, self.saved = stop, model_dir, workers, None
        config = tf.distribute.experimental.TerminationConfig(
            termination_watcher_fn=lambda: stop.requested, exit_fn=self._exit, grace_period=0, save_fn=self._save)
        self.handler = tf.distribute.experimental.PreemptionCheckpointHandler(
            strategy.cluster_resolver, reader, termination_config=config)
        # On GCP CPU and TPU VMs the handler does nothing (it says so in TF's log only): a SIGTERM
        # there must not be swallowed.
        self.inert = getattr(self.handler, "_platform_device", None) in (
            failure_handling_util.PlatformDevice.GCE_CPU, failure_handling_util.PlatformDevice.GCE_TPU)

    def after_step(self, current, save):
        """Called after step `current` on every worker; saves and raises Preempted at the agreed step."""
        if self.inert and self.stop.requested:
            raise Preempted(f"SIGTERM at step {current}: stopped without saving (TensorFlow's "
                            "PreemptionCheckpointHandler does not act on GCP CPU/TPU VMs, so the workers cannot "
                            f"agree on a step to save); run the same command on every worker to resume from the "
                            f"last checkpoint in {self.model_dir}")
        with deprecation.silence():  # its own save reads its deprecated total_run_calls, a warning for nobody
            self.handler.save_checkpoint_if_preempted(current, save)

    def _save(self, current, save):
        save(current)
        self.saved = current

    def _exit(self):
        where = "this worker" if self.stop.requested else "another worker"
        raise Preempted(f"SIGTERM to {where} of the {self.workers}-worker run: every worker saved step {self.saved} "
                        f"(the chief to {self.model_dir}) and stopped; run the same command on every worker to "
                        "resume")
