"""The `results.json` file: what one evaluated run reproduces, and how it was obtained.

Written by `scripts/eval.py` (and at the end of `scripts/train.py`) into the model
directory; read by `scripts/compare.py`, which matches a file to its published row by
the settings recorded here, never by its path. The schema is documented field by field
in `SCHEMA` below and in docs/results.md; `validate` enforces it.
"""

from __future__ import annotations

import json
import math

from resizer import resizers, tasks
from resizer.files import atomic_write_text, read_text

SCHEMA_VERSION = 2
# What changed from each older version: a file of that version is refused with this, and how to
# rewrite it (its numbers are still right; the settings it records are named differently).
OLDER_VERSIONS = {
    1: "version 1 files name the resizer's origin settings.init_resizer_from (now resizer_trained_with) "
       "or lack the smoke field",
}

TASKS = tasks.names()
METRICS = {name: task.metrics for name, task in tasks.REGISTRY.items()}  # what each task's results report

_num = (int, float)
_opt_int = (int, type(None))
_opt_str = (str, type(None))

# field -> (type(s), meaning). Nested dicts are listed by their own tables below.
SCHEMA = {
    "schema_version": (int, f"always {SCHEMA_VERSION}"),
    "experiment": (str, "the flag file's name under configs/, e.g. table4/resnet50/proposed_368"),
    "table": (_opt_int, "the paper table the run reproduces (4..9), or null for runs of our own and smoke runs"),
    "smoke": (bool, "true for a --smoke run (generated data, a few steps): its numbers only show that the "
                    "row's configuration runs"),
    "task": (str, "classification or iqa"),
    "dataset": (str, "imagenet2012, ava, cifar10, imagenette, synthetic (the demo and --smoke runs), or "
                "image_folder/<name>, iqa_csv/<name> (a user's prepared data, docs/your-data.md)"),
    "split": (str, "the evaluated split, e.g. validation or test"),
    "split_size": (int, "examples evaluated"),
    "full_split": (bool, "false when the evaluation used a subset (--eval_examples) or dropped unreadable images"),
    "settings": (dict, "what defines the table row, see SETTINGS"),
    "metrics": (dict, "top1_error_pct/top5_error_pct (percent) or plcc/srcc; loss where known"),
    "gflops": (_num, "forward GFLOPs per image of the whole model, resizer included (TF profiler)"),
    "params": (dict, "total, trainable, resizer_conv_weights (Table 2 convention, null without resizer)"),
    "training": (dict, "see TRAINING"),
    "code_version": (str, "git commit of the code (with -dirty when the tree had changes)"),
    "hardware": (str, "devices the run used, e.g. '4 x NVIDIA V100' or 'CPU (2 cores)'"),
    "created": (str, "ISO 8601 time the file was written"),
}

SETTINGS = {
    "backbone": (str, "inception_v2, densenet121, resnet50, mobilenet_v2, efficientnet_b0 or a demo model"),
    "resizer": (str, "learned, or the fixed baseline resize: bilinear, bicubic, bilinear_aa (antialiased) or area"),
    "resizer_input": (_opt_int, "side of the images fed to the resizer in the model; null for baselines that resize in the pipeline"),
    "output": (int, "side of the images the backbone sees"),
    "filters_n": (_opt_int, "n of the learned resizer; null for baselines"),
    "res_blocks_r": (_opt_int, "r of the learned resizer; null for baselines"),
    "batch_size": (int, "global batch size of training"),
    "interpolation": (str, "the pipeline's fixed pre-resize method (bilinear for ImageNet, bicubic for AVA)"),
    "train_crop": (str, "training crop convention, e.g. inception_crop_area0.08-1_aspect3/4-4/3+flip"),
    "eval_crop": (str, "evaluation crop convention, e.g. central_crop_0.875"),
    "distortion": (_opt_str, "Table 9 distortion (downscale4x, gaussian_noise_0.1, jpeg_q10) or null"),
    "resizer_trained_with": (_opt_str, "backbone of the run that trained the resizer this run started from "
                                       "(Tables 6, 7, Section 4.3), or null: no resizer, or one trained from "
                                       "scratch (a re-evaluation inherits the value of the run it evaluates)"),
}

TRAINING = {
    "steps": (int, "optimizer steps of the evaluated checkpoint (0 for evaluation-only experiments, whose "
                   "model is assembled from the runs their --init_* flags name)"),
    "epochs": (_num, "epochs trained (steps x global batch / train_examples)"),
    "planned_epochs": (_num, "epochs the flag file asked for"),
    "train_examples": (int, "size of the training split used (0 for evaluation-only experiments)"),
    "full_train_split": (bool, "false when training used a subset (--train_examples)"),
}


def _check(obj, spec, where, errors):
    if not isinstance(obj, dict):
        errors.append(f"{where or 'results'}: expected an object, got {type(obj).__name__}")
        return
    for key, (types, _) in spec.items():
        name = f"{where}.{key}" if where else key
        if key not in obj:
            errors.append(f"{name}: missing")
        elif isinstance(obj[key], bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            errors.append(f"{name}: expected {types}, got a bool")
        elif not isinstance(obj[key], types):
            errors.append(f"{name}: expected {types}, got {type(obj[key]).__name__} {obj[key]!r}")


# metric -> the closed range of its possible values (errors are percentages, correlations in [-1, 1]).
METRIC_RANGES = tasks.reported_ranges()  # each task's metrics' ranges (resizer.tasks), and the loss


def _check_values(results, errors):
    """Values a real run cannot have: a table the paper lacks, non-finite, negative or out-of-range numbers."""
    from resizer.config import TABLES

    if results["table"] is not None and results["table"] not in TABLES:
        errors.append(f"table: expected one of {TABLES} or null, got {results['table']!r}")
    for name, value in results["metrics"].items():
        low, high = METRIC_RANGES.get(name, (-math.inf, math.inf))
        if isinstance(value, bool) or not isinstance(value, _num) or not math.isfinite(value):
            errors.append(f"metrics.{name}: expected a finite number, got {value!r}")
        elif not low <= value <= high:
            errors.append(f"metrics.{name}: {value!r} is outside [{low:g}, {high:g}]")
    counts = {"split_size": results["split_size"], "gflops": results["gflops"],
              **{f"training.{k}": results["training"][k] for k in ("steps", "epochs", "planned_epochs",
                                                                 "train_examples")},
              **{f"params.{k}": v for k, v in results["params"].items() if v is not None}}
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, _num) or not math.isfinite(value) or value < 0:
            errors.append(f"{name}: expected a finite number >= 0, got {value!r}")


def validate(results):
    """Raises ValueError listing every problem of a results dict; returns it unchanged if valid."""
    version = results.get("schema_version") if isinstance(results, dict) else None
    if version in OLDER_VERSIONS:
        raise ValueError(f"results.json of schema version {version}, this code reads {SCHEMA_VERSION} "
                         f"({OLDER_VERSIONS[version]}): rewrite it with `python scripts/eval.py --flagfile=<its "
                         "flag file>` (the checkpoint is re-evaluated, nothing is retrained)")
    errors = []
    _check(results, SCHEMA, "", errors)
    if not errors:
        _check(results["settings"], SETTINGS, "settings", errors)
        _check(results["training"], TRAINING, "training", errors)
        if results["schema_version"] != SCHEMA_VERSION:
            errors.append(f"schema_version: expected {SCHEMA_VERSION}, got {results['schema_version']}")
        if results["task"] not in TASKS:
            errors.append(f"task: expected one of {TASKS}, got {results['task']!r}")
        elif not all(isinstance(results["metrics"].get(k), _num) for k in METRICS[results["task"]]):
            errors.append(f"metrics: a {results['task']} result needs numbers for {METRICS[results['task']]}")
        if not errors and results["settings"]["resizer"] not in resizers.names():
            errors.append(f"settings.resizer: expected one of {resizers.names()}, got {results['settings']['resizer']!r}")
        if not errors:
            _check_values(results, errors)
    if errors:
        raise ValueError("invalid results.json:\n  " + "\n  ".join(errors))
    return results


def write(path, results):
    """Validates and writes atomically (a temporary file renamed over the target)."""
    validate(results)
    atomic_write_text(path, json.dumps(results, indent=2, sort_keys=True) + "\n")


def read(path):
    """Loads and validates one results.json; ValueError (naming the file) if it is not ours."""
    try:
        results = json.loads(read_text(path))
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: cannot read results: {e}") from e
    except RecursionError:
        raise ValueError(f"{path}: cannot read results: nested too deeply to be a results.json") from None
    try:
        return validate(results)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from e
