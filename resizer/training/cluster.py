"""Workers of a multi-worker run stop together when setup fails on one of them.

Setup that only the chief does (taking the model directory's lock, checking a restart's
settings, writing the run files) can fail on the chief alone; the other workers would then
wait in the first collective of training for ever. Every worker therefore passes a
`SetupGate` once: the exchange is one all-gather of a short status record (failed or not,
and why) from every worker. A worker whose setup raised takes part with its reason and
re-raises; the others raise SetupFailedElsewhere naming the failed worker and its reason.
The chief's reason wins when several fail. Single-worker strategies pass without a collective.
train() and evaluate_checkpoint() both pass it through `resizer.training.replicas.locked_setup`.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

_MESSAGE_BYTES = 1000
_HEADER = 3  # failed?, worker id, chief?


class SetupFailedElsewhere(RuntimeError):
    """Setup failed on another worker of this multi-worker run (its reason in the message)."""


class SetupGate:
    """The one setup-status exchange of a multi-worker run (see the module doc)."""

    def __init__(self, strategy, worker_id, chief):
        # chief is passed, not derived from worker_id: a cluster with a separate `chief` task
        # has a chief and a worker 0 that share task id 0.
        self.strategy, self.worker_id, self.chief = strategy, worker_id, chief
        self.passed = not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)

    def open(self):
        """Setup succeeded here: waits for every worker, raises if one failed."""
        if self.passed:
            return
        failed = self._exchange(None)
        if failed:
            worker, chief, reason = failed
            raise SetupFailedElsewhere(f"setup failed on worker {worker}{' (the chief)' if chief else ''}: {reason}")

    def fail(self, error):
        """Setup raised `error` here: tells the other workers (the caller re-raises)."""
        if not self.passed and not isinstance(error, SetupFailedElsewhere):
            try:
                self._exchange(f"{type(error).__name__}: {error}")
            except Exception:  # noqa: BLE001 -- the original error is the one to report
                pass

    def _exchange(self, message):
        self.passed = True
        record = np.zeros(_HEADER + _MESSAGE_BYTES, np.int32)
        if message is not None:
            data = message.encode()[:_MESSAGE_BYTES]
            record[:_HEADER] = 1, self.worker_id, self.chief
            record[_HEADER:_HEADER + len(data)] = np.frombuffer(data, np.uint8)
        local = tf.constant(record)

        @tf.function
        def gather():
            def replica_fn():
                return tf.distribute.get_replica_context().all_gather(local[tf.newaxis], axis=0)

            return self.strategy.run(replica_fn)

        rows = self.strategy.experimental_local_results(gather())[0].numpy()
        failed = [row for row in rows if row[0]]
        if not failed:
            return None
        row = min(failed, key=lambda r: (not r[2], r[1]))  # the chief first
        text = bytes(row[_HEADER:][row[_HEADER:] > 0].astype(np.uint8)).decode(errors="replace")
        return int(row[1]), bool(row[2]), text
