"""The model of a run: built from the run's Config, with its build arguments saved beside the
checkpoints (`model.json`) so that evaluation, figures and export rebuild exactly the model that
was trained (`resizer.models.build_from_config`) instead of re-deriving it from flags."""

from __future__ import annotations

import dataclasses
import json
import os

from resizer.files import atomic_write_text

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
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path} is not readable JSON ({e}); delete it to rebuild the model from the run's flags")


def check_model_config(model_dir, model):
    """Refuses a model whose build arguments differ from those the run's model.json records
    (e.g. a learned-resizer run evaluated under a bilinear flag file)."""
    saved = read_model_config(model_dir)
    if saved is None:
        return
    ours = json.loads(json.dumps(model.get_config()))
    ours.pop("name", None), saved.pop("name", None)
    differ = sorted(k for k in set(saved) | set(ours) if saved.get(k) != ours.get(k))
    if differ:
        raise ValueError(f"{model_dir} holds a model of other settings than these flags: "
                         + ", ".join(f"{k}={saved.get(k)!r} there, {ours.get(k)!r} here" for k in differ)
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
