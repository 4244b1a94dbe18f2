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
* SIGTERM (the usual preemption notice) makes a run save after the current step and stop
  (Preempted). With several workers a SIGTERM to any one of them stops them all at one agreed
  step, each having saved (TF's PreemptionCheckpointHandler, resizer.training.signals).
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import time

import keras
import numpy as np
import tensorflow as tf

from resizer.training import (checkpoints, data, evaluation, init, optim, replicas, report,
                              resume, runtime, schedule, smoke, steps)
from resizer.training.model import Run, build_model, check_model_config, write_model_config
from resizer.training.progress import Progress
from resizer.training.signals import CoordinatedStop, Preempted, StopOnSigterm


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


def weights_fingerprint(model):
    """sha256 of every model variable's bytes, in model order (equal weights <=> equal digest)."""
    digest = hashlib.sha256()
    for w in model.weights:
        digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(w)).tobytes())
    return digest.hexdigest()


def train(cfg, log=print):
    """Trains (or resumes) one experiment; evaluates and writes results.json at the end.

    Returns the results dict (None when --noeval_at_end). Raises TrainingDiverged,
    Preempted, checkpoints.ModelDirLocked, or ValueError/FileNotFoundError for bad input.
    """
    strategy, worker_id, chief = replicas.setup(cfg)
    smoke.say_note(cfg, log)
    model_dir = cfg.resolved_model_dir()
    with replicas.locked_setup(strategy, model_dir, worker_id, chief) as gate:
        return _train_locked(cfg, strategy, worker_id, chief, model_dir, log, gate)


def _train_locked(cfg, strategy, worker_id, chief, model_dir, log, gate):
    plan = data.make_plan(cfg)
    total = plan.total_steps if plan else 0
    say = log if chief else (lambda text: None)
    latest = resume.choose(model_dir, cfg, say, chief)
    if chief:
        check_model_config(model_dir, cfg)
        report.write_run_files(model_dir, cfg)
        if plan:
            report.write_plan(model_dir, plan)
    gate.open()  # every worker's setup succeeded: collectives (variable creation, steps) may start
    with strategy.scope():
        model = build_model(cfg)
        if chief:
            write_model_config(model_dir, model)
        run = Run(cfg, strategy, model, model_dir, chief, worker_id)
        step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        optimizer = optim.make_optimizer(cfg, plan, model) if plan else None
        task = cfg.task_spec
        loss_fn = task.make_loss(cfg.label_smoothing)
        train_metrics = task.make_metrics() if task.train_metrics else []
    checkpoint = checkpoints.make_checkpoint(model, optimizer, step, settings=resume.settings_json(cfg))
    # Every worker saves (variables may live on several devices); only the chief's copy is kept.
    save_dir = model_dir if chief else os.path.join(model_dir, f".worker{worker_id}_tmp")
    manager = tf.train.CheckpointManager(checkpoint, save_dir, max_to_keep=cfg.keep_checkpoints)
    multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
    if latest:
        checkpoints.restore(checkpoint, latest)
        say(f"resuming from {latest} (step {int(step.numpy())} of {total})")
    else:
        init.initialise(run, say)
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
        train_step = steps.make_train_step(run, optimizer, loss_fn, train_metrics)
        progress = Progress(model_dir, start, total, enabled=chief)
        try:
            with StopOnSigterm(model_dir) as stop:
                notice = stop
                if multi_worker:
                    # Created after the restore above (it restores again, from `reader`) and before
                    # the first step, so before any worker can save again.
                    reader = manager if chief else tf.train.CheckpointManager(checkpoint, model_dir, max_to_keep=1)
                    notice = CoordinatedStop(strategy, reader, stop, model_dir, runtime.worker(strategy)[2])
                _loop(run, plan, start, step, manager, train_step, train_metrics, progress, notice)
        finally:
            progress.close()
            if not chief:  # its copies are never resumed from
                shutil.rmtree(save_dir, ignore_errors=True)
    log(f"worker {worker_id}: weights sha256 {weights_fingerprint(model)} at step {int(step.numpy())}")
    if not cfg.eval_at_end:
        return None
    return evaluation.evaluate_and_report(run, int(step.numpy()), plan)


def _loop(run, plan, start, step, manager, train_step, train_metrics, progress, notice):
    cfg, strategy = run.cfg, run.strategy
    sync_statistics = replicas.make_statistics_sync(run)
    current, saved = start, None
    pending = []  # (step, loss tensor, total tensor) not yet read back
    window = {"loss": 0.0, "total": 0.0, "steps": 0, "start": time.time()}

    def read_back():
        for at, loss, total in pending:
            loss, total = float(loss), float(total)
            if not math.isfinite(total):
                last = tf.train.latest_checkpoint(run.model_dir)
                raise TrainingDiverged(
                    f"the training loss became {total} at step {at}; stopped without saving. The last good "
                    f"checkpoint is {last}: restarting resumes from it (the same data follow, so lower "
                    "--learning_rate or check the data first).")
            window["loss"], window["total"], window["steps"] = (window["loss"] + loss, window["total"] + total,
                                                                window["steps"] + 1)
        pending.clear()

    def save(at):
        nonlocal saved
        if saved == at:  # a preemption at a checkpoint step
            return
        read_back()  # a non-finite loss is never checkpointed
        step.assign(at)  # only checkpoints read it: no per-step write to every replica
        if sync_statistics:
            sync_statistics()
        manager.save(checkpoint_number=at)
        saved = at

    while current < plan.total_steps:
        epoch = plan.epoch_of(current)
        end = plan.epoch_end(current)
        skip = current - epoch * plan.steps_per_epoch

        def dataset_fn(input_context, epoch=epoch, skip=skip):
            dataset, _ = data.dataset(run.cfg, training=True, seed=data.epoch_seed(cfg.seed, epoch),
                                  input_context=input_context, skip_batches=skip)
            return dataset

        iterator = iter(strategy.distribute_datasets_from_function(dataset_fn))
        while current < end:
            loss, total = train_step(iterator)
            current += 1
            pending.append((current, loss, total))
            progress.step(current)
            # No host sync between log and checkpoint steps: the device runs ahead.
            if current % cfg.log_every_steps == 0 or current == end:
                read_back()
                elapsed = time.time() - window["start"]
                scalars = {"loss": window["loss"] / window["steps"], "total_loss": window["total"] / window["steps"],
                           "learning_rate": float(schedule.learning_rate_at(
                               current, cfg.learning_rate, plan.decay_steps, cfg.lr_decay_rate)),
                           "images_per_second": window["steps"] * cfg.batch_size / max(elapsed, 1e-9),
                           "epoch": plan.epochs_at(current)}
                for metric in train_metrics:
                    scalars[report.METRIC_NAMES[metric.name]] = float(metric.result())
                    metric.reset_state()
                progress.log(current, scalars)
                window.update(loss=0.0, total=0.0, steps=0, start=time.time())
            if current % cfg.checkpoint_every_steps == 0 or current == end:
                save(current)
            notice.after_step(current, save)
