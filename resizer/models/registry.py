"""`build`: image -> prediction models, a resizer in front of a backbone (Section 3, Table 3).

Layer names (stable, used by checkpoints and transfer between models):
  input -> `learned_resizer` (LearnedResizer) or `fixed_resizer` (keras Resizing)
        -> `normalization` (the backbone's own input normalisation, after the resizer, so
           the resizer works in [0, 1] image space)
        -> `backbone` (nested features model) -> `head_dropout`
        -> `logits` (classification, float32) or `scores` (IQA, 10-way softmax, float32).

The model is a `ResizerModel`, a functional Keras model whose `get_config()` is the
`build` arguments, so `build_from_config(model.get_config())` and `.keras` files rebuild
it exactly (weights are not part of the config).
"""

from __future__ import annotations

import keras

from resizer.layers import LearnedResizer, check_interpolation, normalize_size
from resizer.models.backbones import BACKBONES

TASKS = ("classification", "iqa")
FIXED_RESIZERS = ("bilinear", "bicubic", "bilinear_aa", "area")  # bilinear_aa: antialias=True
RESIZERS = ("learned",) + FIXED_RESIZERS
IQA_BINS = 10  # AVA ratings 1..10
IQA_DROPOUT = 0.75  # NIMA's head (Talebi & Milanfar 2018, the paper's [37])


@keras.saving.register_keras_serializable(package="resizer")
class ChannelAffine(keras.layers.Layer):
    """x * scale + offset per channel: a backbone's fixed input normalisation."""

    def __init__(self, scale, offset, **kwargs):
        super().__init__(**kwargs)
        self.scale = [float(s) for s in scale]
        self.offset = [float(o) for o in offset]

    def call(self, x):
        scale = keras.ops.convert_to_tensor(self.scale, dtype=x.dtype)
        offset = keras.ops.convert_to_tensor(self.offset, dtype=x.dtype)
        return x * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


def _check_choice(value, choices, what):
    if value not in choices:
        raise ValueError(f"Unknown {what} {value!r}; expected one of {', '.join(choices)}.")


@keras.saving.register_keras_serializable(package="resizer")
class ResizerModel(keras.Model):
    """A resizer (learned or fixed) in front of a backbone and a task head. See `build`."""

    def __init__(self, task, backbone, resizer="learned", input_size=224, output_size=224, filters=16,
                 num_res_blocks=1, num_classes=None, interpolation="bilinear", dropout=None, name=None, **kwargs):
        _check_choice(task, TASKS, "task")
        _check_choice(backbone, tuple(BACKBONES), "backbone")
        _check_choice(resizer, RESIZERS, "resizer")
        check_interpolation(interpolation)
        in_hw = normalize_size(input_size, "input_size")
        out_hw = normalize_size(output_size, "output_size")
        if task == "iqa":
            if num_classes not in (None, IQA_BINS):
                raise ValueError(f"task='iqa' predicts the {IQA_BINS}-bin AVA rating histogram; "
                                 f"num_classes={num_classes!r} is not allowed (leave it unset).")
            num_classes = IQA_BINS
        elif num_classes is None:
            num_classes = 1000
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
            raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}.")
        spec = BACKBONES[backbone]
        if dropout is None:
            dropout = IQA_DROPOUT if task == "iqa" else spec.classifier_dropout
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")

        images = keras.Input(in_hw + (3,), name="images")
        if resizer == "learned":
            x = LearnedResizer(out_hw, filters=filters, num_res_blocks=num_res_blocks, interpolation=interpolation,
                               name="learned_resizer")(images)
        else:
            method, antialias = (resizer[:-3], True) if resizer.endswith("_aa") else (resizer, False)
            x = keras.layers.Resizing(*out_hw, interpolation=method, antialias=antialias, name="fixed_resizer")(images)
        x = ChannelAffine(spec.scale, spec.offset, name="normalization")(x)
        x = spec.make(out_hw + (3,))(x)
        x = keras.layers.Dropout(float(dropout), name="head_dropout")(x)
        if task == "classification":
            outputs = keras.layers.Dense(num_classes, dtype="float32", name="logits")(x)
        else:
            outputs = keras.layers.Dense(IQA_BINS, activation="softmax", dtype="float32", name="scores")(x)
        name = name or f"{backbone}_{resizer}_{in_hw[0]}x{in_hw[1]}_to_{out_hw[0]}x{out_hw[1]}_{task}"
        super().__init__(inputs=images, outputs=outputs, name=name, **kwargs)
        self.build_kwargs = {
            "task": task, "backbone": backbone, "resizer": resizer, "input_size": list(in_hw),
            "output_size": list(out_hw), "filters": filters, "num_res_blocks": num_res_blocks,
            "num_classes": num_classes, "interpolation": interpolation, "dropout": float(dropout),
        }

    @property
    def head_name(self):
        return "logits" if self.build_kwargs["task"] == "classification" else "scores"

    def get_config(self):
        return {**self.build_kwargs, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def build(task, backbone, resizer="learned", input_size=224, output_size=224, filters=16, num_res_blocks=1,
          num_classes=None, interpolation="bilinear", dropout=None, weights=None, name=None):
    """Builds image -> prediction with a resizer in front of a backbone.

    Args:
      task: "classification" (float32 logits, `num_classes`, default 1000) or "iqa"
        (float32 softmax over the 10 AVA rating bins).
      backbone: a key of `BACKBONES` (the paper's five, or "tiny_cnn").
      resizer: "learned" (LearnedResizer, `filters` = n, `num_res_blocks` = r,
        `interpolation` for its internal resizes) or a fixed "bilinear"/"bicubic" resize, or
        "bilinear_aa" (bilinear with antialiasing) / "area" (fixed only: area has no gradient).
      input_size, output_size: int or (height, width); the model takes
        (batch, *input_size, 3) floats in [0, 1], the backbone sees output_size.
      dropout: before the head; default 0.75 for IQA (NIMA), the original model's for
        classification (0.2 Inception-v2 and EfficientNet-B0, 0 for the others).
      weights: None (random), "imagenet" (Keras cache) or a path; see
        `resizer.models.weights.load_pretrained`. Not part of the model config.
    """
    model = ResizerModel(task, backbone, resizer=resizer, input_size=input_size, output_size=output_size,
                         filters=filters, num_res_blocks=num_res_blocks, num_classes=num_classes,
                         interpolation=interpolation, dropout=dropout, name=name)
    if weights is not None:
        from resizer.models.weights import load_pretrained

        load_pretrained(model, weights)
    return model


def build_from_config(config):
    """Rebuilds a model (random weights) from `model.get_config()` or a dict of `build` args."""
    if not isinstance(config, dict):
        raise ValueError(f"build_from_config expects a dict of build() arguments, got {type(config).__name__}.")
    return ResizerModel.from_config(dict(config))
