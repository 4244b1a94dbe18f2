"""The training and evaluation loops of one experiment (a `resizer.config.Config`).

A custom loop (`strategy.run` inside a `tf.function`), so that resumption is exact and a NaN
loss stops the run before it can be checkpointed:

* Data position is the step count. Epoch e reads the training split through a fresh
  pipeline seeded by (seed, e); a run resumed at step s rebuilds the pipeline of epoch
  s // steps_per_epoch and skips the s % steps_per_epoch batches already trained on. Nothing
  of tf.data is checkpointed (a shuffle buffer of ImageNet JPEGs would be a gigabyte per
  checkpoint); the skipped batches are read again but not decoded (make_dataset's
  skip_batches). With --deterministic the
  resumed run ends with exactly the weights of an uninterrupted one.
* Checkpoints every --checkpoint_every_steps, at every epoch end and at the end; a restart
  of the same command resumes from the latest and ends at the same final step.
* The loss is read back at every log and checkpoint step (not every step, so the device
  is never idle waiting for the host); a non-finite value at any step raises
  TrainingDiverged before the next save and leaves the last good checkpoint as the latest.
* SIGTERM (the usual preemption notice) makes a single-worker run save and stop cleanly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import math
import os
import shutil
import signal
import time

import keras
import numpy as np
import tensorflow as tf

from resizer import losses as losses_lib
from resizer import metrics as metrics_lib
from resizer import results as results_lib
from resizer.training import checkpoints, report, runtime, schedule, smoke
from resizer.training.progress import Progress, write_scalars


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


class Preempted(RuntimeError):
    """SIGTERM arrived; the run saved a checkpoint and stopped (restart the command to resume)."""


@dataclasses.dataclass
class Run:
    """What train() and evaluate_checkpoint() share: config, strategy, model and its directory."""

    cfg: object
    strategy: object
    model: object
    model_dir: str
    chief: bool
    worker_id: int


def _epoch_seed(seed, epoch):
    return seed * 4096 + epoch


def _source_options(cfg, training):
    if cfg.dataset != "synthetic":
        return None
    # Render only the examples used (smoke runs use a handful).
    return {"task": cfg.task, "size": (cfg.train_examples if training else cfg.eval_examples) or None}


def _dataset(cfg, *, training, seed, input_context=None, batch_size=None, skip_batches=0):
    from resizer.data import make_dataset

    return make_dataset(cfg.dataset, cfg.train_split if training else cfg.eval_split, data_dir=cfg.data_dir or None,
                        training=training, input_size=cfg.pipeline_size,
                        batch_size=batch_size or (cfg.batch_size if training else cfg.global_eval_batch),
                        interpolation=cfg.interpolation, distortion=cfg.distortion or None, seed=seed,
                        deterministic=cfg.deterministic, input_context=input_context,
                        cache_dir=cfg.cache_dir or None,
                        num_examples=(cfg.train_examples if training else cfg.eval_examples) or None,
                        source_options=_source_options(cfg, training), skip_batches=skip_batches)


def make_plan(cfg):
    """The step plan of a config (None for evaluation-only runs); reads the split's size only."""
    if cfg.evaluation_only:
        return None
    _, count = _dataset(cfg, training=True, seed=_epoch_seed(cfg.seed, 0))
    return schedule.plan(count, cfg.batch_size, epochs=cfg.train_epochs, steps=cfg.train_steps,
                         decay_epochs=cfg.lr_decay_epochs)


def build_model(cfg):
    from resizer.models import build

    weights = None if cfg.backbone_weights == "none" else cfg.backbone_weights
    return build(cfg.task, cfg.backbone, resizer=cfg.resizer, input_size=cfg.model_input, output_size=cfg.output,
                 filters=cfg.filters, num_res_blocks=cfg.res_blocks,
                 num_classes=cfg.num_classes if cfg.task == "classification" else None,
                 interpolation=cfg.interpolation, weights=weights)


def _setup(cfg):
    runtime.configure(cfg.seed, cfg.deterministic, cfg.mixed_precision, cfg.strategy)
    strategy = runtime.make_strategy(cfg.strategy, cfg.tpu)
    replicas = strategy.num_replicas_in_sync
    for flag, batch in (("batch_size", cfg.batch_size), ("eval_batch_size", cfg.global_eval_batch)):
        if batch % replicas:
            raise ValueError(f"--{flag}={batch} must be divisible by the {replicas} replicas of --strategy="
                             f"{cfg.strategy} (the global batch is kept as the flag says)")
    worker_id, chief, _ = runtime.worker(strategy)
    return strategy, worker_id, chief


def _init_checkpoint(cfg, flag, log):
    """The checkpoint an --init_* flag names. Smoke runs look among smoke runs
    (<runs_dir>/smoke/...) and start from random weights where that run was not made."""
    value = getattr(cfg, flag)
    if not cfg.smoke:
        return checkpoints.resolve(value, cfg.runs_dir, flag)
    try:
        return checkpoints.resolve(value, f"{cfg.runs_dir}/smoke", flag)
    except FileNotFoundError:
        log(f"smoke run: --{flag}={value} has no smoke checkpoint under {cfg.runs_dir}/smoke (make one with "
            f"--smoke on that experiment first); starting from random weights instead")
        return None


def initialise(run, log):
    """A fresh run's starting weights: --init_backbone_from / --init_resizer_from checkpoints."""
    cfg, named = run.cfg, checkpoints.parts(run.model)
    path = cfg.init_backbone_from and _init_checkpoint(cfg, "init_backbone_from", log)
    if path:
        checkpoints.restore_part(path, "backbone", named["backbone"])
        head = checkpoints.restore_part(path, "head", named["head"], required=False)
        log(f"backbone{' and head' if head else ''} from {path}" + ("" if head else " (head: new, other outputs)"))
    path = cfg.init_resizer_from and _init_checkpoint(cfg, "init_resizer_from", log)
    if path:
        checkpoints.restore_part(path, "resizer", named["resizer"])
        log(f"learned resizer from {path}")


def weights_fingerprint(model):
    """sha256 of every model variable's bytes, in model order (equal weights <=> equal digest)."""
    digest = hashlib.sha256()
    for w in model.weights:
        digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(w)).tobytes())
    return digest.hexdigest()


def _is_decayed(variable):
    # Kernels of convolutions and dense layers; biases, BN and the like are not decayed.
    return variable.path.rsplit("/", 1)[-1] in ("kernel", "depthwise_kernel", "pointwise_kernel")


def make_train_step(run, optimizer, loss_fn, train_metrics):
    cfg, model, strategy = run.cfg, run.model, run.strategy
    decayed = [v for v in model.trainable_variables if _is_decayed(v)]

    def forward_backward(images, targets):
        with tf.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = tf.nn.compute_average_loss(loss_fn.call(targets, predictions), global_batch_size=cfg.batch_size)
            total = loss
            if cfg.weight_decay and decayed:
                penalty = cfg.weight_decay * tf.add_n([tf.nn.l2_loss(tf.cast(v, tf.float32)) for v in decayed])
                total += tf.nn.scale_regularization_loss(penalty)
            scaled = optimizer.scale_loss(total)
        return loss, total, predictions, tape.gradient(scaled, model.trainable_variables)

    if cfg.jit_compile:
        # XLA compiles the forward and backward pass only: the optimizer update writes
        # mirrored variables of every replica, which one XLA cluster may not touch.
        forward_backward = tf.function(forward_backward, jit_compile=True)

    def replica_step(images, targets):
        loss, total, predictions, gradients = forward_backward(images, targets)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        for metric in train_metrics:
            metric.update_state(targets, predictions)
        return loss, total

    @tf.function
    def train_step(iterator):
        """(task loss, task loss + weight decay) of one global batch."""
        images, targets = next(iterator)
        per_replica = strategy.run(replica_step, args=(images, targets))
        return [strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None) for value in per_replica]

    return train_step


def make_optimizer(cfg, plan, model):
    """Momentum SGD on the staircase schedule (loss-scaled under float16), built for the model."""
    rate = schedule.learning_rate(cfg.learning_rate, plan.decay_steps, cfg.lr_decay_rate)
    optimizer = keras.optimizers.SGD(rate, momentum=cfg.momentum)
    if cfg.mixed_precision and cfg.strategy != "tpu":
        optimizer = keras.mixed_precision.LossScaleOptimizer(optimizer)
    optimizer.build(model.trainable_variables)  # slots exist before a checkpoint is restored into them
    return optimizer


def _make_statistics_sync(run):
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


class _StopOnSigterm:
    """Turns SIGTERM into a flag the loop checks after each step (single-worker runs only)."""

    def __init__(self, active):
        self.requested, self.active, self.previous = False, active, None

    def __enter__(self):
        if self.active:
            self.previous = signal.signal(signal.SIGTERM, self._handle)
        return self

    def _handle(self, signum, frame):
        self.requested = True

    def __exit__(self, *exc):
        if self.active:
            signal.signal(signal.SIGTERM, self.previous)


def train(cfg, log=print):
    """Trains (or resumes) one experiment; evaluates and writes results.json at the end.

    Returns the results dict (None when --noeval_at_end). Raises TrainingDiverged,
    Preempted, checkpoints.ModelDirLocked, or ValueError/FileNotFoundError for bad input.
    """
    strategy, worker_id, chief = _setup(cfg)
    smoke.say_note(cfg, log)
    model_dir = cfg.resolved_model_dir()
    with _chief_lock(model_dir, chief):
        return _train_locked(cfg, strategy, worker_id, chief, model_dir, log)


@contextlib.contextmanager
def _chief_lock(model_dir, chief):
    """The model directory's RunLock, held by the chief (the worker that writes there)."""
    if not chief:
        yield
        return
    with checkpoints.RunLock(model_dir):
        yield


def _train_locked(cfg, strategy, worker_id, chief, model_dir, log):
    plan = make_plan(cfg)
    total = plan.total_steps if plan else 0
    say = log if chief else (lambda text: None)
    if chief:
        if tf.train.latest_checkpoint(model_dir):
            report.check_same_run(model_dir, cfg)
        report.write_run_files(model_dir, cfg)
        if plan:
            report.write_plan(model_dir, plan)
    with strategy.scope():
        model = build_model(cfg)
        run = Run(cfg, strategy, model, model_dir, chief, worker_id)
        step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        optimizer = make_optimizer(cfg, plan, model) if plan else None
        loss_fn = losses_lib.for_task(cfg.task, label_smoothing=cfg.label_smoothing)
        # Training-window metrics: top-k errors only (SRCC keeps every example, too much per window).
        train_metrics = metrics_lib.for_task(cfg.task) if cfg.task == "classification" else []
    checkpoint = checkpoints.make_checkpoint(model, optimizer, step)
    # Every worker saves (variables may live on several devices); only the chief's copy is kept.
    save_dir = model_dir if chief else os.path.join(model_dir, f".worker{worker_id}_tmp")
    manager = tf.train.CheckpointManager(checkpoint, save_dir, max_to_keep=cfg.keep_checkpoints)
    multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
    latest = tf.train.latest_checkpoint(model_dir)
    if latest:
        checkpoint.read(latest).assert_existing_objects_matched()
        say(f"resuming from {latest} (step {int(step.numpy())} of {total})")
    else:
        initialise(run, say)
        if not multi_worker:
            # Workers decide fresh-or-resume before any save: the first save of a multi-worker
            # run comes after the first (collective) step, which every worker has reached.
            manager.save(checkpoint_number=0)
    start = int(step.numpy())
    if plan:
        say(f"{cfg.experiment or model_dir}: {plan.train_examples} training examples, global batch "
            f"{cfg.batch_size} on {strategy.num_replicas_in_sync} replica(s), {plan.steps_per_epoch} steps/epoch, "
            f"{total} steps ({plan.epochs_at(total):g} epochs), learning rate {cfg.learning_rate} x "
            f"{cfg.lr_decay_rate} every {plan.decay_steps} steps")
        train_step = make_train_step(run, optimizer, loss_fn, train_metrics)
        progress = Progress(model_dir, start, total, enabled=chief)
        try:
            with _StopOnSigterm(active=not multi_worker) as stop:
                _loop(run, plan, start, step, manager, train_step, train_metrics, progress, stop)
        finally:
            progress.close()
    if not chief:
        shutil.rmtree(save_dir, ignore_errors=True)
    log(f"worker {worker_id}: weights sha256 {weights_fingerprint(model)} at step {int(step.numpy())}")
    if not cfg.eval_at_end:
        return None
    return evaluate_and_report(run, int(step.numpy()), plan)


def _loop(run, plan, start, step, manager, train_step, train_metrics, progress, stop):
    cfg, strategy = run.cfg, run.strategy
    sync_statistics = _make_statistics_sync(run)
    current = start
    window_loss, window_total, window_steps, window_start = 0.0, 0.0, 0, time.time()
    while current < plan.total_steps:
        epoch = plan.epoch_of(current)
        end = plan.epoch_end(current)
        skip = current - epoch * plan.steps_per_epoch

        def dataset_fn(input_context, epoch=epoch, skip=skip):
            dataset, _ = _dataset(run.cfg, training=True, seed=_epoch_seed(cfg.seed, epoch),
                                  input_context=input_context, skip_batches=skip)
            return dataset

        iterator = iter(strategy.distribute_datasets_from_function(dataset_fn))
        pending = []  # (step, loss tensor, total tensor) not yet read back
        while current < end:
            loss, total = train_step(iterator)
            current += 1
            pending.append((current, loss, total))
            progress.step(current)
            log_now = current % cfg.log_every_steps == 0 or current == end
            save_now = current % cfg.checkpoint_every_steps == 0 or current == end or stop.requested
            if not (log_now or save_now):
                continue  # no host sync between boundaries: the device runs ahead
            for at, loss, total in pending:
                loss, total = float(loss), float(total)
                if not math.isfinite(total):
                    last = tf.train.latest_checkpoint(run.model_dir)
                    raise TrainingDiverged(
                        f"the training loss became {total} at step {at}; stopped without saving. The last good "
                        f"checkpoint is {last}: restarting resumes from it (the same data follow, so lower "
                        "--learning_rate or check the data first).")
                window_loss, window_total, window_steps = window_loss + loss, window_total + total, window_steps + 1
            pending = []
            if log_now:
                elapsed = time.time() - window_start
                scalars = {"loss": window_loss / window_steps, "total_loss": window_total / window_steps,
                           "learning_rate": float(schedule.learning_rate_at(
                               current, cfg.learning_rate, plan.decay_steps, cfg.lr_decay_rate)),
                           "images_per_second": window_steps * cfg.batch_size / max(elapsed, 1e-9),
                           "epoch": plan.epochs_at(current)}
                for metric in train_metrics:
                    scalars[report.METRIC_NAMES[metric.name]] = float(metric.result())
                    metric.reset_state()
                progress.log(current, scalars)
                window_loss, window_total, window_steps, window_start = 0.0, 0.0, 0, time.time()
            if save_now:
                step.assign(current)  # only checkpoints read it: no per-step write to every replica
                if sync_statistics:
                    sync_statistics()
                manager.save(checkpoint_number=current)
            if stop.requested:
                raise Preempted(f"SIGTERM: saved step {current} to {run.model_dir}; run the same command to resume")


def evaluate(run):
    """Metrics of the model on the evaluation split: ({name: value}, examples evaluated)."""
    cfg, strategy, model = run.cfg, run.strategy, run.model
    with strategy.scope():
        metrics = metrics_lib.for_task(cfg.task)
        loss_sum = keras.metrics.Sum(name="loss_sum")
        count = keras.metrics.Sum(name="count")
        loss_fn = losses_lib.for_task(cfg.task, label_smoothing=cfg.label_smoothing)

    def replica_step(images, targets):
        predictions = model(images, training=False)
        for metric in metrics:
            metric.update_state(targets, predictions)
        loss_sum.update_state(tf.reduce_sum(loss_fn.call(targets, predictions)))
        count.update_state(tf.cast(tf.shape(images)[0], tf.float32))

    @tf.function(reduce_retracing=True)
    def eval_step(batch):
        strategy.run(replica_step, args=batch)

    def dataset_fn(input_context):
        return _dataset(cfg, training=False, seed=cfg.seed, input_context=input_context)[0]

    for batch in strategy.distribute_datasets_from_function(dataset_fn):
        eval_step(batch)
    examples = int(count.result())
    values = {m.name: float(m.result()) for m in metrics}
    values["loss"] = float(loss_sum.result()) / max(examples, 1)
    return values, examples


def evaluate_and_report(run, steps, plan):
    """Evaluates, writes results.json (chief) and the eval TensorBoard scalars; returns the results."""
    from resizer import flops
    from resizer.data import crop_conventions

    cfg = run.cfg
    values, examples = evaluate(run)
    if not run.chief:
        return None
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")  # the profiler's TF1 deprecation notices
    try:
        gflops = flops.count_flops(run.model)
    finally:
        logger.setLevel(level)
    results = report.make_results(
        cfg, metrics=values, split_size=examples, gflops=gflops,
        params=report.parameter_counts(run.model), steps=steps, plan=plan,
        hardware=runtime.hardware(run.strategy), crops=crop_conventions(cfg.dataset),
        init_resizer_backbone=report.init_resizer_backbone(cfg))
    results_lib.write(os.path.join(run.model_dir, "results.json"), results)
    write_scalars(os.path.join(run.model_dir, "eval"), steps, results["metrics"])  # the tags training writes
    return results


def evaluate_checkpoint(cfg, checkpoint="", log=print):
    """scripts/eval.py: restores a checkpoint (default: the model directory's latest; for an
    evaluation-only experiment without one, the --init_* checkpoints), evaluates, writes
    results.json into the model directory and returns it."""
    strategy, worker_id, chief = _setup(cfg)
    smoke.say_note(cfg, log)
    model_dir = cfg.resolved_model_dir()
    # Held so that a live training run cannot overwrite results.json, or delete the
    # checkpoint being read, while this evaluation runs.
    with _chief_lock(model_dir, chief):
        return _evaluate_locked(cfg, checkpoint, strategy, worker_id, chief, model_dir, log)


def _evaluate_locked(cfg, checkpoint, strategy, worker_id, chief, model_dir, log):
    with strategy.scope():
        model = build_model(cfg)
    run = Run(cfg, strategy, model, model_dir, chief, worker_id)
    if checkpoint:
        path = checkpoints.resolve(checkpoint, cfg.runs_dir, "checkpoint")
    else:
        path = tf.train.latest_checkpoint(model_dir) if tf.io.gfile.isdir(model_dir) else None
    if path:
        tf.train.Checkpoint(model=model).read(path).expect_partial().assert_existing_objects_matched()
        reader = tf.train.load_checkpoint(path)
        steps = int(reader.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE")) if reader.has_tensor(
            "step/.ATTRIBUTES/VARIABLE_VALUE") else 0
        log(f"evaluating {path} (step {steps})")
    elif cfg.evaluation_only:
        initialise(run, log)
        steps = 0
    else:
        raise FileNotFoundError(f"no checkpoint in {model_dir}: train first (python scripts/train.py with the same "
                                "flags) or pass --checkpoint")
    # The plan the run trained with (no need for the training data), else recomputed.
    plan = None if cfg.evaluation_only else (report.read_plan(model_dir) or make_plan(cfg))
    return evaluate_and_report(run, steps, plan)
