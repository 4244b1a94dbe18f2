"""The files a run leaves in its model directory besides checkpoints: the resolved flags
(`flags.txt`, usable as `--flagfile`), the config (`config.json`) and `results.json`."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import subprocess

from resizer import results as results_lib
from resizer import tasks
from resizer.files import atomic_write_text, read_text

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
METRIC_NAMES = tasks.reported_names()  # Keras metric name -> the name results.json and TensorBoard use


# Flags that define what a model directory's checkpoints are; a restart must not change them.
RUN_DEFINING = ("task", "dataset", "dataset_name", "train_split", "train_examples", "num_classes", "interpolation",
                "distortion", "backbone", "resizer", "resizer_input", "output", "filters", "res_blocks", "batch_size",
                "learning_rate", "momentum", "lr_decay_rate", "lr_decay_epochs", "label_smoothing", "weight_decay",
                "seed", "train_preprocessing")


def changed_flags(before, cfg):
    """['--batch_size=16 (the run has 8)', ...]: run-defining flags of `cfg` that differ from `before`
    (a dict of Config fields: a config.json, or the settings a checkpoint stores)."""
    now = dataclasses.asdict(cfg)
    return [f"--{k}={now[k]} (the run has {before[k]})" for k in RUN_DEFINING if k in before and before[k] != now[k]]


def check_same_run(model_dir, cfg):
    """ValueError naming the flags whose values differ from the run already in `model_dir` (its
    config.json; a missing or unreadable one checks nothing here: the checkpoints carry the
    settings too, resizer.training.resume)."""
    try:
        before = json.loads(read_text(os.path.join(model_dir, "config.json")))
    except (OSError, ValueError):
        return
    changed = changed_flags(before, cfg)
    if changed:
        raise ValueError(f"{model_dir} holds a run with other settings: {', '.join(changed)}. Resume it with its "
                         f"own flags (see {model_dir}/flags.txt) or choose another --model_dir.")


def write_plan(model_dir, plan):
    atomic_write_text(os.path.join(model_dir, "plan.json"), json.dumps(dataclasses.asdict(plan), indent=2) + "\n")


def read_plan(model_dir):
    """The step plan a training run saved in its model directory, or None."""
    from resizer.training.schedule import Plan

    path = os.path.join(model_dir, "plan.json")
    try:
        return Plan(**json.loads(read_text(path)))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as e:
        print(f"warning: {path} is unreadable ({e}); the plan is computed again from the training split")
        return None


def write_run_files(model_dir, cfg):
    """flags.txt (one --name=value per Config field: rerun with --flagfile) and config.json."""
    values = dataclasses.asdict(cfg)
    lines = [f"--{k}={'' if v is None else str(v).lower() if isinstance(v, bool) else v}"
             for k, v in values.items() if v is not None]
    atomic_write_text(os.path.join(model_dir, "flags.txt"),
                      "# The resolved flags of this run (scripts/train.py); rerun with --flagfile=<this file>.\n"
                      + "\n".join(lines) + "\n")
    atomic_write_text(os.path.join(model_dir, "config.json"), json.dumps(values, indent=2, sort_keys=True) + "\n")


def _run_config(value, runs_dir):
    """config.json of the run an --init_* value names (experiment name, directory or checkpoint), or {}."""
    from resizer import experiments

    if value in experiments.EXPERIMENTS:
        directory = experiments.get(value).model_dir(runs_dir)
    else:
        directory = value if os.path.isdir(value) else os.path.dirname(value)
    try:
        return json.loads(read_text(os.path.join(directory, "config.json")))
    except (OSError, ValueError):
        return {}


def init_resizer_backbone(cfg):
    """settings.resizer_trained_with: the backbone of the run whose trained resizer started this one.

    An evaluation-only run whose backbone and resizer come from one run is that run's model
    evaluated again, and inherits that run's value (None for a resizer trained from scratch).
    Experiment names are looked up in the registry, paths in the run's config.json."""
    return _init_resizer_backbone(dataclasses.asdict(cfg))


def _init_resizer_backbone(values):
    from resizer import experiments, settings

    def source_of(value):
        if value in experiments.EXPERIMENTS:
            return experiments.get(value)
        return _run_config(value, values.get("runs_dir", "runs")) or None

    trained_with = settings.resizer_trained_with(values, source_of)
    if trained_with == settings.UNKNOWN:
        print(f"warning: --init_resizer_from={values.get('init_resizer_from')}: its run's config.json cannot be "
              f"read, so results.json records settings.resizer_trained_with={settings.UNKNOWN!r} (the comparison "
              "then matches it to no published row)")
    return trained_with


def code_version():
    """`git rev-parse HEAD` of the checkout, '-dirty' when tracked files differ from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--"], cwd=ROOT, capture_output=True,
                               timeout=10).returncode != 0
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def parameter_counts(model):
    from resizer.layers import count_conv_weights

    trainable = sum(int(w.shape.num_elements()) for w in model.trainable_weights)
    total = sum(int(w.shape.num_elements()) for w in model.weights)
    from resizer.models import parts

    resizer = parts(model)["resizer"]
    return {"total": total, "trainable": trainable,
            "resizer_conv_weights": count_conv_weights(resizer) if resizer is not None else None}


def make_results(cfg, *, metrics, split_size, gflops, params, steps, plan, hardware, crops, init_resizer_backbone,
                 dropped=0):
    """The results.json dict of an evaluated run (validated by resizer.results). dropped: examples
    of the split that could not be read: the split was then not evaluated whole."""
    train_examples = plan.train_examples if plan else 0
    return results_lib.validate({
        "schema_version": results_lib.SCHEMA_VERSION,
        "experiment": cfg.experiment,
        "table": None if cfg.smoke else cfg.table,
        "smoke": bool(cfg.smoke),
        "task": cfg.task,
        "dataset": cfg.dataset_id,
        "split": cfg.eval_split,
        "split_size": int(split_size),
        "full_split": cfg.eval_examples == 0 and not dropped,
        "settings": cfg.settings(*crops, init_resizer_backbone),
        "metrics": {METRIC_NAMES[k]: float(v) for k, v in metrics.items()},
        "gflops": round(gflops / 1e9, 4),
        "params": params,
        "training": {
            "steps": int(steps),
            "epochs": round(steps * cfg.batch_size / train_examples, 4) if train_examples else 0.0,
            "planned_epochs": (round(plan.total_steps * cfg.batch_size / train_examples, 4) if plan else 0.0),
            "train_examples": int(train_examples),
            "full_train_split": cfg.train_examples == 0,
        },
        "code_version": code_version(),
        "hardware": hardware,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    })
