"""The model of a run: built from the run's Config, with its build arguments saved beside the
checkpoints (`model.json`) so that evaluation, figures and export rebuild exactly the model that
was trained (`resizer.models.build_from_config`) instead of re-deriving it from flags."""

from __future__ import annotations

import dataclasses
import json
import os

from resizer.files import atomic_write_text, read_text

MODEL_CONFIG = "model.json"


@dataclasses.dataclass
class Run:
    """What train() and evaluate_checkpoint() share: config, strategy, model and its directory."""

    cfg: object
    strategy: object
    model: object
    model_dir: str
    chief: bool
    worker_id: int


def build_model(cfg):
    """The run's model, with the --backbone_weights it starts from."""
    from resizer.models import build

    weights = None if cfg.backbone_weights == "none" else cfg.backbone_weights
    return build(**cfg.model_config(), weights=weights)


def write_model_config(model_dir, model):
    """Saves the model's build arguments (its get_config) as <model_dir>/model.json."""
    atomic_write_text(os.path.join(model_dir, MODEL_CONFIG), json.dumps(model.get_config(), indent=1) + "\n")


def read_model_config(model_dir):
    """The build arguments a run's model was made with, or None for runs that predate model.json."""
    path = os.path.join(model_dir, MODEL_CONFIG)
    try:
        return json.loads(read_text(path))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise ValueError(f"{path} is not readable JSON ({e}); delete it to rebuild the model from the run's flags")


def check_model_config(model_dir, cfg):
    """Refuses a run whose model's build arguments (cfg.model_config()) differ from those its
    model.json records (e.g. a learned-resizer run evaluated under a bilinear flag file).
    Needs no model: every worker can decide before the first collective."""
    saved = read_model_config(model_dir)
    if saved is None:
        return
    from resizer.layers import normalize_size

    ours = {k: v for k, v in cfg.model_config().items() if v is not None}
    for key in ("input_size", "output_size"):
        if key in ours:
            ours[key] = list(normalize_size(ours[key], key))  # as the model's get_config stores it
    differ = sorted(k for k in ours if saved.get(k) != ours[k])
    if differ:
        raise ValueError(f"{model_dir} holds a model of other settings than these flags: "
                         + ", ".join(f"{k}={saved.get(k)!r} there, {ours[k]!r} here" for k in differ)
                         + "; use that run's flag file, or another --model_dir")


def rebuild(model_dir, cfg=None):
    """A run's model with random weights: from its model.json, else (older runs) from `cfg`."""
    from resizer.models import build_from_config

    config = read_model_config(model_dir)
    if config is None:
        if cfg is None:
            raise FileNotFoundError(f"{model_dir} has no {MODEL_CONFIG}: pass the run's flags to rebuild its model")
        return build_model(dataclasses.replace(cfg, backbone_weights="none"))
    return build_from_config(config)


def read_config(model_dir):
    """The Config a run recorded in its config.json (fields this version does not know are dropped)."""
    from resizer.config import Config

    path = os.path.join(model_dir, "config.json")
    try:
        saved = json.loads(read_text(path))
        known = {f.name for f in dataclasses.fields(Config)}
        return Config(**{k: v for k, v in saved.items() if k in known})
    except (OSError, ValueError, TypeError) as e:
        raise ValueError(f"cannot read the run's settings from {path}: {e}") from e


def load_run(model_dir, prefix=None):
    """(model, cfg) of a scripts/train.py model directory, its checkpoint (default: the latest)
    restored: what export, figures and analyses start from."""
    import tensorflow as tf

    if not tf.io.gfile.isdir(model_dir):
        raise FileNotFoundError(f"{model_dir} does not exist: pass the model directory of a scripts/train.py run")
    prefix = prefix or tf.train.latest_checkpoint(model_dir)
    if prefix is None:
        raise FileNotFoundError(f"{model_dir} holds no checkpoint: train it first (python scripts/train.py "
                                f"--flagfile=... --model_dir={model_dir})")
    cfg = read_config(model_dir)
    model = rebuild(model_dir, cfg)
    try:
        tf.train.Checkpoint(model=model).read(prefix).expect_partial().assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.OpError) as e:
        raise ValueError(f"{prefix} does not fit the model {model_dir} describes: {str(e).splitlines()[0]}") from None
    return model, cfg
