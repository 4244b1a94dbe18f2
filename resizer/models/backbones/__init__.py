"""The backbone registry: one module per backbone in this package, each registering a `Backbone`
with its facts beside it (normalisation, ImageNet weight files, the paper's GFLOPs at 224).

Every constructor takes an input shape (height, width, 3) and returns a Keras model named
`backbone` that maps *normalised* images (see `Backbone.scale`/`offset`) to pooled
features (batch, channels). The task head (logits or the 10-bin score distribution) is
added by `resizer.models.builder`, so the same backbone serves both tasks.

Beyond the registered ones, `get("keras:<Name>")` gives any `keras.applications` model by
its class name (e.g. `keras:EfficientNetV2B0`), normalised by its own `preprocess_input`;
a module of your own can `register_backbone` more (scripts: `--backbone_module`).
Adding a backbone is one new file here: see inception_v3.py.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Callable, Optional

import keras

from resizer.registry import Registry

REGISTRY = Registry("backbone", package=__name__)
KERAS_PREFIX = "keras:"

# ImageNet channel statistics in [0, 1] units (the "torch" convention of keras.applications).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Scale and offset that map [0, 1] images to a backbone's expected input range.
TO_MINUS_ONE_ONE = ((2.0, 2.0, 2.0), (-1.0, -1.0, -1.0))
TO_IMAGENET_STANDARD = (tuple(1.0 / s for s in IMAGENET_STD), tuple(-m / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD)))
TO_0_255 = ((255.0, 255.0, 255.0), (0.0, 0.0, 0.0))
IDENTITY = ((1.0, 1.0, 1.0), (0.0, 0.0, 0.0))
GOOGLE_APPLICATIONS = "https://storage.googleapis.com/tensorflow/keras-applications/"
TF_MODE = "[-1, 1] ('tf' mode)"


@dataclasses.dataclass(frozen=True)
class ImagenetFiles:
    """Where keras.applications keeps a backbone's ImageNet weights (legacy HDF5 files)."""

    url_base: str
    with_top: str  # 1000-class classifier included (its Dense layer is "predictions")
    no_top: str


@dataclasses.dataclass(frozen=True)
class Backbone:
    """A registered backbone.

    make: (height, width, channels) -> features model named "backbone".
    make_reference: builds the keras.applications model a weight file was saved from
      (include_top, weights path) -> keras.Model; None for our own implementations.
    scale, offset: per-channel affine map from [0, 1] images to the backbone's input.
    classifier_dropout: dropout before the classification layer, as the original model.
    """

    name: str
    implementation: str
    make: Callable
    scale: tuple
    offset: tuple
    normalisation: str
    classifier_dropout: float = 0.0
    make_reference: Optional[Callable] = None
    imagenet: Optional[ImagenetFiles] = None
    paper_gflops_224: Optional[float] = None
    # Dotted name of a keras.applications `preprocess_input` (it takes 0-255 RGB) used instead
    # of scale/offset: for models whose preprocessing is no per-channel affine map (caffe mode).
    keras_preprocess: Optional[str] = None
    in_paper: bool = False


def register_backbone(backbone):
    """Registers a Backbone under its name (a backbone module calls this at import)."""
    return REGISTRY.register(backbone.name, backbone)


def get(name):
    """The Backbone called `name`: a registered one, or `keras:<Name>` for any keras.applications model."""
    if isinstance(name, str) and name.startswith(KERAS_PREFIX) and name not in REGISTRY:
        register_backbone(keras_application(name[len(KERAS_PREFIX):]))
    return REGISTRY.get(name)


def names():
    return REGISTRY.names()


def paper_backbones():
    """The paper's five backbones, in registry order."""
    return tuple(n for n, b in REGISTRY.items() if b.in_paper)


def import_modules(modules):
    """Imports user modules that register backbones (the scripts' --backbone_module), one-line errors."""
    for module in [m.strip() for m in modules.split(",") if m.strip()] if isinstance(modules, str) else modules:
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise ValueError(f"--backbone_module: cannot import {module!r} ({e}); give a module on PYTHONPATH "
                             "that calls resizer.models.backbones.register_backbone") from None


def keras_application(cls_name):
    """A Backbone for keras.applications.<cls_name>, normalised by that model's own preprocess_input."""
    constructor = getattr(keras.applications, cls_name, None)
    if not callable(constructor):
        import difflib

        known = [n for n in dir(keras.applications) if n[:1].isupper()]
        close = difflib.get_close_matches(cls_name, known, n=3)
        raise ValueError(f"--backbone={KERAS_PREFIX}{cls_name}: keras.applications has no model {cls_name!r}"
                         + (f"; did you mean {', '.join(KERAS_PREFIX + c for c in close)}?" if close else ""))
    module = constructor.__module__
    if not hasattr(importlib.import_module(module), "preprocess_input"):
        raise ValueError(f"--backbone={KERAS_PREFIX}{cls_name}: {module} has no preprocess_input")
    return application(KERAS_PREFIX + cls_name, cls_name, IDENTITY, f"its own {module}.preprocess_input on 0-255",
                        None, None, None, None, keras_preprocess=f"{module}.preprocess_input")


def from_model(model, normalisation=None):
    """Registers a user's Keras model as a backbone (resizer.build(..., backbone=model)).

    The model maps (H, W, 3) images, normalised by `normalisation` = (scale, offset) from
    [0, 1] (default: none, the model sees [0, 1]), to features; a 4-D output is average-pooled.
    It is registered as `user:<model.name>`, so a model rebuilt from its config in another
    process needs the same registration first.
    """
    scale, offset = normalisation or IDENTITY
    first = [True]  # not the built models themselves: the registry would keep every twin alive

    def make(input_shape):
        want = tuple(model.input_shape[1:3])
        if all(w is not None for w in want) and want != tuple(input_shape[:2]):
            raise ValueError(f"backbone model {model.name!r} takes {want} images, the resizer gives "
                             f"{tuple(input_shape[:2])}: build it with output_size={want} or a (None, None, 3) input")
        inputs = keras.Input(tuple(input_shape))
        # The first model built holds the user's own layers (their weights); any rebuild (a twin
        # to load a checkpoint into, build_from_config) a copy, so that the two share no variables.
        layers = model if first[0] else keras.models.clone_model(model)
        first[0] = False
        x = layers(inputs)
        if len(x.shape) == 4:
            x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        return keras.Model(inputs, x, name="backbone")

    name = f"user:{model.name}"
    backbone = Backbone(name, f"user model {model.name}", make, scale, offset,
                        normalisation="user-given (scale, offset)" if normalisation else "none ([0, 1])")
    return REGISTRY.register(name, backbone, replace=True)  # the same name again: the newest model


def application(name, cls_name, scale_offset, normalisation, url_base, with_top, no_top, paper_gflops,
                 make=None, classifier_dropout=0.0, keras_preprocess=None, in_paper=False):
    """A keras.applications backbone: features (include_top=False, average pooling)."""

    def make_features(input_shape):
        model = getattr(keras.applications, cls_name)(include_top=False, weights=None, input_shape=tuple(input_shape),
                                                      pooling="avg")
        return renamed(model)

    def make_reference(include_top, weights_path, input_shape=(224, 224, 3)):
        pooling = None if include_top else "avg"
        return getattr(keras.applications, cls_name)(include_top=include_top, weights=weights_path,
                                                     input_shape=tuple(input_shape), pooling=pooling)

    files = ImagenetFiles(url_base, with_top, no_top) if url_base else None
    return Backbone(name, f"keras.applications.{cls_name}", make or make_features, *scale_offset,
                    normalisation=normalisation, classifier_dropout=classifier_dropout, make_reference=make_reference,
                    imagenet=files, paper_gflops_224=paper_gflops, keras_preprocess=keras_preprocess,
                    in_paper=in_paper)


def renamed(model):
    # A functional model's name is fixed at construction; wrap-free renaming keeps the
    # layer tree flat (backbone/<keras layer names>), which checkpoints rely on.
    model.name = "backbone"
    return model




class _Backbones:
    """`BACKBONES`: the registry as a read-only mapping (name -> Backbone), `keras:` names included."""

    def __getitem__(self, name):
        return get(name)

    def __contains__(self, name):
        try:
            get(name)
        except ValueError:
            return False
        return True

    def __iter__(self):
        return iter(names())

    def __len__(self):
        return len(names())

    def keys(self):
        return names()

    def items(self):
        return REGISTRY.items()


BACKBONES = _Backbones()
