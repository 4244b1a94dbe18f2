"""What running on several replicas needs: the strategy with the tables' global batch split
evenly, the model directory's lock held by the chief with every worker's setup passing one
gate, and batch-norm statistics kept equal across replicas."""

from __future__ import annotations

import contextlib

import tensorflow as tf

from resizer.training import checkpoints, cluster, runtime


def setup(cfg):
    """(strategy, worker id, chief?) of a run; ValueError when a global batch does not split evenly."""
    runtime.configure(cfg.seed, cfg.deterministic, cfg.mixed_precision, cfg.strategy)
    strategy = runtime.make_strategy(cfg.strategy, cfg.tpu)
    replicas = strategy.num_replicas_in_sync
    for flag, batch in (("batch_size", cfg.batch_size), ("eval_batch_size", cfg.global_eval_batch)):
        if batch % replicas:
            raise ValueError(f"--{flag}={batch} must be divisible by the {replicas} replicas of --strategy="
                             f"{cfg.strategy} (the global batch is kept as the flag says)")
    worker_id, chief, _ = runtime.worker(strategy)
    return strategy, worker_id, chief


@contextlib.contextmanager
def locked_setup(strategy, model_dir, worker_id, chief):
    """The setup of train() and evaluate_checkpoint(): the model directory's RunLock held by the
    chief (the worker that writes there) around the body, which gets the run's SetupGate and
    calls its open() before the first collective. An exception before that, the lock's included,
    reaches every worker (resizer.training.cluster), so that none waits for ever."""
    gate = cluster.SetupGate(strategy, worker_id, chief)
    try:
        with checkpoints.RunLock(model_dir) if chief else contextlib.nullcontext():
            yield gate
    except Exception as e:
        gate.fail(e)
        raise


def make_statistics_sync(run):
    """A function averaging the model's float non-trainable variables over all replicas.

    Keras' batch-norm moving statistics are MirroredVariables without aggregation: each
    replica (GPU, worker) updates its own copy from its own batches, so the copies drift
    apart and a checkpoint would hold replica 0's. Averaging them before every checkpoint
    and at the end keeps every replica's model identical; it cannot change training itself
    (training-mode batch norm uses batch statistics). Returns None on one replica.
    """
    strategy = run.strategy
    statistics = [v for v in run.model.non_trainable_variables if v.dtype in ("float16", "bfloat16", "float32")]
    if strategy.num_replicas_in_sync == 1 or not statistics:
        return None

    def replica_fn():
        context = tf.distribute.get_replica_context()
        means = context.all_reduce(tf.distribute.ReduceOp.MEAN, [tf.identity(v.value) for v in statistics])
        for variable, mean in zip(statistics, means):
            variable.assign(mean)

    @tf.function
    def sync():
        strategy.run(replica_fn)

    return sync
