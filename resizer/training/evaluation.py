"""Evaluation of a run: the task's metrics over the evaluation split, results.json, and
scripts/eval.py's restore-then-evaluate."""

from __future__ import annotations

import os

import keras
import tensorflow as tf

from resizer import results as results_lib
from resizer.training import checkpoints, data, init, replicas, report, resume, runtime, smoke, tb_images
from resizer.training.model import Run, build_model, check_model_config, write_model_config
from resizer.training.progress import write_scalars


def evaluate(run, log=print):
    """Metrics of the model on the evaluation split: ({name: value}, examples evaluated, examples
    the split lists). Fewer evaluated than listed means images that could not be read were
    dropped (resizer.data.undecodable); that is said here and recorded in results.json."""
    cfg, strategy, model = run.cfg, run.strategy, run.model
    with strategy.scope():
        metrics = cfg.task_spec.make_metrics()
        loss_sum = keras.metrics.Sum(name="loss_sum")
        count = keras.metrics.Sum(name="count")
        loss_fn = cfg.task_spec.make_loss(cfg.label_smoothing)

    def replica_step(images, targets):
        predictions = model(images, training=False)
        for metric in metrics:
            metric.update_state(targets, predictions)
        loss_sum.update_state(tf.reduce_sum(loss_fn.call(targets, predictions)))
        count.update_state(tf.cast(tf.shape(images)[0], tf.float32))

    @tf.function(reduce_retracing=True)
    def eval_step(batch):
        strategy.run(replica_step, args=batch)

    listed = []

    def dataset_fn(input_context):
        ds, count = data.dataset(cfg, training=False, seed=cfg.seed, input_context=input_context)
        listed.append(count)
        return ds

    for batch in strategy.distribute_datasets_from_function(dataset_fn):
        eval_step(batch)
    examples = int(count.result())
    values = {m.name: float(m.result()) for m in metrics}
    values["loss"] = float(loss_sum.result()) / max(examples, 1)
    expected = listed[0]
    if examples < expected:
        log(f"warning: evaluated {examples} of the {expected} examples of {cfg.eval_split}: {expected - examples} "
            "could not be read and were dropped (each logged above); results.json says full_split false")
    return values, examples, expected


def evaluate_and_report(run, steps, plan, annotate=None):
    """Evaluates, writes results.json (chief) and the eval TensorBoard scalars; returns the results.
    annotate(results) may add entries (eval.py's validation against released weights) before
    the one write, inside the model directory's lock."""
    from resizer import flops
    from resizer.data import crop_conventions

    cfg = run.cfg
    values, examples, expected = evaluate(run)
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
        cfg, metrics=values, split_size=examples, dropped=expected - examples, gflops=gflops,
        params=report.parameter_counts(run.model), steps=steps, plan=plan,
        hardware=runtime.hardware(run.strategy), crops=crop_conventions(cfg.dataset_id, cfg.train_preprocessing,
                                                            cfg.eval_preprocessing, cfg.data_dir or None),
        init_resizer_backbone=report.init_resizer_backbone(cfg))
    if annotate is not None:
        annotate(results)
    results_lib.write(os.path.join(run.model_dir, "results.json"), results)
    write_scalars(os.path.join(run.model_dir, "eval"), steps, values)
    tb_images.write_resizer_images(run.model, None, steps, os.path.join(run.model_dir, "eval"))
    return results


def evaluate_checkpoint(cfg, checkpoint="", log=print, annotate=None):
    """scripts/eval.py: restores a checkpoint (default: the model directory's latest; for an
    evaluation-only experiment without one, the --init_* checkpoints), evaluates, writes
    results.json into the model directory and returns it."""
    strategy, worker_id, chief = replicas.setup(cfg)
    smoke.say_note(cfg, log)
    model_dir = cfg.resolved_model_dir()
    # The lock is held so that a live training run cannot overwrite results.json, or delete the
    # checkpoint being read, while this evaluation runs.
    with replicas.locked_setup(strategy, model_dir, worker_id, chief) as gate:
        return _evaluate_locked(cfg, checkpoint, strategy, worker_id, chief, model_dir, log, annotate, gate)


def _evaluate_locked(cfg, checkpoint, strategy, worker_id, chief, model_dir, log, annotate, gate):
    # Every check that can refuse comes before gate.open(), so that it stops every worker.
    if chief:
        check_model_config(model_dir, cfg)
    if checkpoint:
        path = checkpoints.resolve(checkpoint, cfg.runs_dir, "checkpoint")
    else:
        path = resume.choose(model_dir, cfg, log, chief=False)
    if path:
        resume.check_checkpoint_settings(path, cfg, "Evaluate it with the flags it was trained with (its flags.txt).")
    elif not cfg.evaluation_only:
        raise FileNotFoundError(f"no checkpoint in {model_dir}: train first (python scripts/train.py with the same "
                                "flags) or pass --checkpoint")
    gate.open()
    with strategy.scope():
        model = build_model(cfg)
    run = Run(cfg, strategy, model, model_dir, chief, worker_id)
    if path:
        tf.train.Checkpoint(model=model).read(path).expect_partial().assert_existing_objects_matched()
        reader = checkpoints.reader(path)
        steps = int(reader.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE")) if reader.has_tensor(
            "step/.ATTRIBUTES/VARIABLE_VALUE") else 0
        log(f"evaluating {path} (step {steps})")
    else:
        init.initialise(run, log)
        steps = 0
    if chief:  # only now: a refused evaluation leaves the model directory as it found it
        write_model_config(model_dir, model)
    # The plan the run trained with (no need for the training data), else recomputed.
    plan = None if cfg.evaluation_only else (report.read_plan(model_dir) or data.make_plan(cfg))
    return evaluate_and_report(run, steps, plan, annotate)
