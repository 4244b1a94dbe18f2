"""`build`: image -> prediction models, a resizer in front of a backbone (Section 3, Table 3).

Every choice comes from its registry: the task (resizer.tasks), the backbone
(resizer.models.backbones) and the resizer (resizer.resizers).

Layer names (stable, used by checkpoints and transfer between models; `parts(model)` finds them):
  input -> the resizer's layer (`learned_resizer` (LearnedResizer), or `fixed_resizer` (keras Resizing))
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

from resizer import tasks as tasks_lib
from resizer.layers import check_interpolation, normalize_size
from resizer.models import backbones as backbones_lib
from resizer import resizers as resizers_lib


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


@keras.saving.register_keras_serializable(package="resizer")
class KerasPreprocessing(keras.layers.Layer):
    """A keras.applications `preprocess_input` (named by its dotted path) on [0, 1] images x 255."""

    def __init__(self, function, **kwargs):
        import importlib

        super().__init__(**kwargs)
        self.function = function
        module, _, name = function.rpartition(".")
        try:  # resolved once, here: a name that does not resolve fails when the model is built
            self._preprocess = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError) as e:
            raise ValueError(f"KerasPreprocessing: cannot find {function!r} ({e})") from None

    def call(self, x):
        return self._preprocess(x * 255.0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "function": self.function}


def normalization_layer(spec):
    """The backbone's own input normalisation, taking [0, 1] images (the layer `normalization`)."""
    if spec.keras_preprocess:
        return KerasPreprocessing(spec.keras_preprocess, name="normalization")
    return ChannelAffine(spec.scale, spec.offset, name="normalization")


@keras.saving.register_keras_serializable(package="resizer")
class ResizerModel(keras.Model):
    """A resizer (learned or fixed) in front of a backbone and a task head. See `build`."""

    def __init__(self, task, backbone, resizer="learned", input_size=224, output_size=224, filters=16,
                 num_res_blocks=1, num_classes=None, interpolation="bilinear", dropout=None, name=None, **kwargs):
        task_spec = tasks_lib.get(task)
        spec = backbones_lib.get(backbone)
        resizer_spec = resizers_lib.get(resizer)
        check_interpolation(interpolation)
        in_hw = normalize_size(input_size, "input_size")
        out_hw = normalize_size(output_size, "output_size")
        num_classes = task_spec.check_num_classes(num_classes)
        if dropout is None:
            dropout = spec.classifier_dropout if task_spec.head_dropout is None else task_spec.head_dropout
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")

        images = keras.Input(in_hw + (3,), name="images")
        x = resizer_spec.make(out_hw, filters, num_res_blocks, interpolation)(images)
        x = normalization_layer(spec)(x)
        x = spec.make(out_hw + (3,))(x)
        outputs = task_spec.make_head(x, num_classes, dropout)
        name = name or f"{backbone.replace(':', '_')}_{resizer}_{in_hw[0]}x{in_hw[1]}_to_{out_hw[0]}x{out_hw[1]}_{task}"
        super().__init__(inputs=images, outputs=outputs, name=name, **kwargs)
        self.build_kwargs = {
            "task": task, "backbone": backbone, "resizer": resizer, "input_size": list(in_hw),
            "output_size": list(out_hw), "filters": filters, "num_res_blocks": num_res_blocks,
            "num_classes": num_classes, "interpolation": interpolation, "dropout": float(dropout),
        }

    @property
    def head_name(self):
        return tasks_lib.get(self.build_kwargs["task"]).head_name

    def get_config(self):
        return {**self.build_kwargs, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def build(task, backbone, resizer="learned", input_size=224, output_size=224, filters=16, num_res_blocks=1,
          num_classes=None, interpolation="bilinear", dropout=None, name=None, backbone_normalisation=None):
    """Builds image -> prediction with a resizer in front of a backbone, with random weights
    (`resizer.models.build` also loads pretrained ones).

    Args:
      task: "classification" (float32 logits, `num_classes`, default 1000) or "iqa"
        (float32 softmax over the 10 AVA rating bins).
      backbone: a registered backbone name (resizer.models.backbones: the paper's five,
        "tiny_cnn", "inception_v3", "keras:<any keras.applications model>"), or a Keras model
        of your own (registered as "user:<its name>", see backbones.from_model).
      resizer: a registered resizer (resizer.resizers): "learned" (LearnedResizer,
        `filters` = n, `num_res_blocks` = r, `interpolation` for its internal resizes) or a
        fixed "bilinear"/"bicubic" resize.
      input_size, output_size: int or (height, width); the model takes
        (batch, *input_size, 3) floats in [0, 1], the backbone sees output_size.
      dropout: before the head; default 0.75 for IQA (NIMA), the original model's for
        classification (0.2 Inception-v2 and EfficientNet-B0, 0 for the others).
      backbone_normalisation: with a Keras model as `backbone`, (scale, offset) per channel
        that map [0, 1] images to what it expects (default: none).
    """
    if isinstance(backbone, keras.Model):
        backbone = backbones_lib.from_model(backbone, normalisation=backbone_normalisation).name
    model = ResizerModel(task, backbone, resizer=resizer, input_size=input_size, output_size=output_size,
                         filters=filters, num_res_blocks=num_res_blocks, num_classes=num_classes,
                         interpolation=interpolation, dropout=dropout, name=name)
    return model


def build_from_config(config):
    """Rebuilds a model (random weights) from `model.get_config()` or a dict of `build` args."""
    if not isinstance(config, dict):
        raise ValueError(f"build_from_config expects a dict of build() arguments, got {type(config).__name__}.")
    return ResizerModel.from_config(dict(config))


def parts(model):
    """{"resizer": its trained resizer layer or None, "backbone": ..., "head": ...}: the named parts
    of a ResizerModel that checkpoints, weight loading, export and figures address."""
    names = {layer.name: layer for layer in model.layers}
    learned = [names[n] for n in resizers_lib.learned_layer_names() if n in names]
    return {"resizer": learned[0] if learned else None, "backbone": names["backbone"],
            "head": names[model.head_name]}
