"""Where a run executes: the tf.distribute strategy, precision, determinism, and the words
results.json uses for the hardware.

--strategy: `mirrored` (all local GPUs, or the CPU), `multi_worker` (MultiWorkerMirroredStrategy
configured by the TF_CONFIG environment variable), `tpu` (TPUStrategy on --tpu), `one_device`
(the first GPU, or the CPU). The global batch stays the flag's value whatever the replica count.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal

import keras
import tensorflow as tf


def configure(seed, deterministic, mixed_precision, strategy_name):
    """Seeds, op determinism, the Keras dtype policy and TF's log level; call before building anything."""
    tf.get_logger().setLevel("WARNING")  # strategy and saver INFO lines would drown the progress lines
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    if mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16" if strategy_name == "tpu" else "mixed_float16")
    else:
        keras.mixed_precision.set_global_policy("float32")


def make_strategy(name, tpu=""):
    """The tf.distribute strategy of --strategy (ValueError with the fix when it cannot run here)."""
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.MirroredStrategy([d.name for d in gpus] or ["/cpu:0"])
    if name == "one_device":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError("--strategy=multi_worker reads the cluster from the TF_CONFIG environment variable, "
                             "which is not set (see docs/training.md, 'Several machines')")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or None)
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, RuntimeError, tf.errors.OpError) as e:
            where = f"--tpu={tpu}" if tpu else "no --tpu given, so the local TPU"
            raise ValueError(f"--strategy=tpu: cannot reach a TPU ({where}): {' '.join(str(e).split())[:200]}. "
                             "Pass --tpu=<TPU name or grpc://address>, or choose another --strategy") from None
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"--strategy={name}: expected mirrored, multi_worker, tpu or one_device")


def worker(strategy):
    """(task id, is chief, number of workers) of this process."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or resolver is None:
        return 0, True, 1
    task_type, task_id = resolver.task_type, resolver.task_id
    spec = resolver.cluster_spec().as_dict()
    workers = len(spec.get("worker", [])) + len(spec.get("chief", []))
    chief = task_type == "chief" or (task_type == "worker" and task_id == 0 and "chief" not in spec)
    return task_id, chief, workers


def hardware(strategy):
    """'2 x NVIDIA H100 80GB HBM3', 'TPU (8 cores)', 'CPU (2 cores)', with the worker count."""
    _, _, workers = worker(strategy)
    if isinstance(strategy, tf.distribute.TPUStrategy):
        text = f"TPU ({strategy.num_replicas_in_sync} cores)"
    else:
        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            names = [tf.config.experimental.get_device_details(g).get("device_name", "GPU") for g in gpus]
            text = f"{len(gpus)} x {names[0]}" if len(set(names)) == 1 else ", ".join(names)
        else:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
            text = f"CPU ({cores} cores)"
    return f"{workers} workers x {text}" if workers > 1 else text



class Terminated(RuntimeError):
    """SIGTERM arrived outside the training steps (setup, final evaluation)."""


@contextlib.contextmanager
def sigterm_raises(what):
    """SIGTERM raises Terminated (exit 1 with a message, `with` blocks and the lock released)
    instead of killing the process; the training loop installs its own save-and-stop handler
    inside."""

    def handle(signum, frame):
        raise Terminated(f"SIGTERM during {what}: stopped; the checkpoints are intact, run the same command again")

    previous = signal.signal(signal.SIGTERM, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def describe_failure(e):
    """One line for a failure of the machine rather than of the code (a full disk says so and
    what to do), or None."""
    full = getattr(e, "errno", None) == errno.ENOSPC or (
        isinstance(e, tf.errors.OpError) and "No space left on device" in str(e))
    if full:
        where = f" writing {e.filename}" if getattr(e, "filename", None) else ""
        return (f"no space left on the device{where}: free some space and run the same command again "
                "(the last complete checkpoint is kept)")
    if isinstance(e, OSError):
        return f"{type(e).__name__}: {e}"
    return None


def run_reporting(script, during, fn, expected):
    """fn() for a script: (its result, 0), or (None, 1) with one line on stderr for an `expected`
    error, a SIGTERM during `during`, or a failure of the machine (describe_failure); any other
    exception keeps its traceback (a bug)."""
    import sys

    try:
        with sigterm_raises(during):
            return fn(), 0
    except (Terminated, ValueError) + tuple(expected) as e:
        print(f"{script}: {type(e).__name__}: {e}", file=sys.stderr)
    except Exception as e:  # a full disk, an unreadable file: one line, not a traceback
        line = describe_failure(e)
        if line is None:
            raise
        print(f"{script}: {line}", file=sys.stderr)
    return None, 1
