"""The `settings` record of results.json, and the rules read off a run's settings.

One function each, used everywhere a run, an experiment or a published row is described:

  * `settings_of(x)`: the settings record (resizer.results.SETTINGS) of a `Config`, an
    `Experiment` or a mapping with Config's field names (config.json, a published row's
    description). Missing fields read as None.
  * `evaluation_only(x)` / `reuses_a_model(x)`: the re-evaluation rule.
  * `resizer_trained_with(x, source_of)`: the backbone whose run trained x's resizer.
  * `model_input(x)`: the side of the images x's model takes.
  * `build_kwargs(settings, task, num_classes)`: the keyword arguments of resizer.models.build
    (Config.model_config too).

Importing this module imports no TensorFlow of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from resizer import results

# The paper's learned resizer (n = 16 filters, r = 1 residual block), as Config's flags name them:
# the default of every table but Table 8's grid over (r, n).
DEFAULT_RESIZER = {"filters": 16, "res_blocks": 1}



def _get(x, name, default=None):
    if isinstance(x, Mapping):
        value = x.get(name, default)
    else:
        value = getattr(x, name, default)
    return default if value is None else value


def evaluation_only(x):
    """True when x plans no training: its model is assembled from the runs its --init_* name."""
    return _get(x, "train_epochs", 0) == 0 and _get(x, "train_steps", 0) == 0


def reuses_a_model(x):
    """Evaluation only, backbone and resizer from one run: that run's model, evaluated again
    (the Table 6/7 diagonals and Table 8's (1, 16) cells)."""
    source = _get(x, "init_resizer_from")
    return evaluation_only(x) and bool(source) and source == _get(x, "init_backbone_from")


UNKNOWN = "unknown"


def resizer_trained_with(x, source_of):
    """settings.resizer_trained_with: the backbone of the run whose training produced x's resizer.

    source_of(value of --init_resizer_from) -> that run (Config-like, Experiment-like or its
    config.json dict), or None when unknown. A run that re-evaluates another run's model
    (`reuses_a_model`) inherits that run's value: None for a resizer trained from scratch, and
    UNKNOWN where the run it names cannot be read (never None: that would claim "from scratch",
    and match the Table 6/7 diagonal).
    """
    value = _get(x, "init_resizer_from")
    if not value:
        return None
    source = source_of(value)
    if source is None:
        return UNKNOWN
    return resizer_trained_with(source, source_of) if reuses_a_model(x) else _get(source, "backbone")


def settings_of(x, resizer_trained_with=None, train_crop=None, eval_crop=None):
    """The `settings` object of results.json (resizer.results.SETTINGS, in that order) of x.

    x: a Config, an Experiment or a mapping with Config's field names (filters, res_blocks,
    ...). The learned resizer's fields are None for the fixed resizes; an empty distortion
    is None. The crops and `resizer_trained_with` are not fields of x: the caller knows them
    (resizer.data.crop_conventions, `resizer_trained_with` above).
    """
    from resizer import resizers

    kind = resizers.get(_get(x, "resizer"))
    shaped = kind.shaped
    values = {
        "backbone": _get(x, "backbone"),
        "resizer": _get(x, "resizer"),
        # A fixed resizer may resize inside the model too (the real-data suite): its input side then.
        "resizer_input": _get(x, "resizer_input"),
        "output": _get(x, "output"),
        "filters_n": _get(x, "filters") if shaped else None,
        "res_blocks_r": _get(x, "res_blocks") if shaped else None,
        "batch_size": _get(x, "batch_size"),
        "interpolation": _get(x, "interpolation"),
        "train_crop": train_crop,
        "eval_crop": eval_crop,
        "distortion": _get(x, "distortion") or None,
        "resizer_trained_with": resizer_trained_with,
    }
    assert list(values) == list(results.SETTINGS), "settings_of and resizer.results.SETTINGS disagree"
    return values


def model_input(x):
    """Side of the images the model takes: the learned resizer's input (a fixed resizer given
    an input side resizes inside the model), else the backbone's (shrunk by a down-scaling
    distortion). x: a settings record or a Config."""
    from resizer import resizers
    from resizer.data import distortions

    if resizers.get(_get(x, "resizer")).learned or _get(x, "resizer_input"):
        return _get(x, "resizer_input")
    return _get(x, "output") // distortions.downscale(_get(x, "distortion") or None)


def build_kwargs(settings, task, num_classes=None):
    """Keyword arguments of resizer.models.build for a settings record (or a published row's subset).

    num_classes is passed for tasks whose head size the data decides (resizer.tasks: not IQA's
    fixed 10 bins); the resizer's n and r default to the paper's (16, 1) where the record has
    none (the fixed resizes)."""
    from resizer import tasks

    kwargs = dict(task=task, backbone=settings["backbone"], resizer=settings["resizer"],
                  input_size=model_input(settings), output_size=settings["output"],
                  filters=settings.get("filters_n") or DEFAULT_RESIZER["filters"],
                  num_res_blocks=settings.get("res_blocks_r") or DEFAULT_RESIZER["res_blocks"],
                  num_classes=num_classes if tasks.get(task).num_classes is None else None)
    if settings.get("interpolation"):
        kwargs["interpolation"] = settings["interpolation"]
    return kwargs
