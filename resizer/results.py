"""The `results.json` file: what one evaluated run reproduces, and how it was obtained.

Written by `scripts/eval.py` (and at the end of `scripts/train.py`) into the model
directory; read by `scripts/compare.py`, which matches a file to its published row by
the settings recorded here, never by its path. The schema is documented field by field
in `SCHEMA` below and in docs/results.md; `validate` enforces it.
"""

from __future__ import annotations

import json

from resizer.config import RESIZERS
from resizer.files import atomic_write_text

SCHEMA_VERSION = 1

TASKS = ("classification", "iqa")
METRICS = {"classification": ("top1_error_pct", "top5_error_pct"), "iqa": ("plcc", "srcc")}

_num = (int, float)
_opt_int = (int, type(None))
_opt_str = (str, type(None))

# field -> (type(s), meaning). Nested dicts are listed by their own tables below.
SCHEMA = {
    "schema_version": (int, f"always {SCHEMA_VERSION}"),
    "experiment": (str, "the flag file's name under configs/, e.g. table4/resnet50/proposed_368"),
    "table": (_opt_int, "the paper table the run reproduces (4..9), or null for runs of our own"),
    "task": (str, "classification or iqa"),
    "dataset": (str, "imagenet2012, ava, cifar10, or synthetic (the demo and --smoke runs)"),
    "split": (str, "the evaluated split, e.g. validation or test"),
    "split_size": (int, "examples evaluated"),
    "full_split": (bool, "false when the evaluation used a subset (--eval_examples)"),
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
    "init_resizer_from": (_opt_str, "backbone whose trained resizer initialised this one (Tables 6, 7, the "
                                    "evaluated (1, 16) cells of Table 8, Section 4.3), or null"),
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


def validate(results):
    """Raises ValueError listing every problem of a results dict; returns it unchanged if valid."""
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
        if not errors and results["settings"]["resizer"] not in RESIZERS:
            errors.append(f"settings.resizer: expected one of {RESIZERS}, got {results['settings']['resizer']!r}")
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
        with open(path) as f:
            results = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: cannot read results: {e}") from e
    try:
        return validate(results)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from e
