"""The backbones: the paper's five CNNs and small CPU-sized ones, as feature extractors.

Every constructor takes an input shape (height, width, 3) and returns a Keras model named
`backbone` that maps *normalised* images (see `Backbone.scale`/`offset`) to pooled
features (batch, channels). The task head (logits or the 10-bin score distribution) is
added by `resizer.models.registry`, so the same backbone serves both tasks.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

import keras

# ImageNet channel statistics in [0, 1] units (the "torch" convention of keras.applications).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Scale and offset that map [0, 1] images to a backbone's expected input range.
TO_MINUS_ONE_ONE = ((2.0, 2.0, 2.0), (-1.0, -1.0, -1.0))
TO_IMAGENET_STANDARD = (tuple(1.0 / s for s in IMAGENET_STD), tuple(-m / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD)))
TO_0_255 = ((255.0, 255.0, 255.0), (0.0, 0.0, 0.0))


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


def _application(name, cls_name, scale_offset, normalisation, url_base, with_top, no_top, paper_gflops,
                 make=None, classifier_dropout=0.0):
    """A keras.applications backbone: features (include_top=False, average pooling)."""

    def make_features(input_shape):
        model = getattr(keras.applications, cls_name)(include_top=False, weights=None, input_shape=tuple(input_shape),
                                                      pooling="avg")
        return _renamed(model)

    def make_reference(include_top, weights_path, input_shape=(224, 224, 3)):
        pooling = None if include_top else "avg"
        return getattr(keras.applications, cls_name)(include_top=include_top, weights=weights_path,
                                                     input_shape=tuple(input_shape), pooling=pooling)

    return Backbone(name, f"keras.applications.{cls_name}", make or make_features, *scale_offset,
                    normalisation=normalisation, classifier_dropout=classifier_dropout, make_reference=make_reference,
                    imagenet=ImagenetFiles(url_base, with_top, no_top), paper_gflops_224=paper_gflops)


def _renamed(model):
    # A functional model's name is fixed at construction; wrap-free renaming keeps the
    # layer tree flat (backbone/<keras layer names>), which checkpoints rely on.
    model.name = "backbone"
    return model


def make_efficientnet_b0(input_shape):
    model = keras.applications.EfficientNetB0(include_top=False, weights=None, input_shape=tuple(input_shape),
                                               pooling="avg")
    set_efficientnet_normalization(model)
    return _renamed(model)


def set_efficientnet_normalization(model):
    """Gives EfficientNet's built-in Normalization layer the ImageNet mean and variance.

    keras.applications only sets them when it downloads weights itself (and then
    compensates a variance stored as a standard deviation with an extra Rescaling); with
    weights=None the layer would be the identity. Here the layer always computes
    (x / 255 - mean) / std, whatever weight file is loaded afterwards (the loaders in
    `resizer.models.weights` never copy this layer).
    """
    norm = [l for l in model.layers if isinstance(l, keras.layers.Normalization)]
    if len(norm) != 1:
        raise ValueError(f"expected one Normalization layer in {model.name}, found {len(norm)}")
    layer = norm[0]
    layer.adapt_mean.assign(IMAGENET_MEAN)
    layer.adapt_variance.assign([s * s for s in IMAGENET_STD])
    layer.finalize_state()


def make_tiny_cnn(input_shape):
    """Three strided conv/BN/ReLU stages and global pooling: trains on 2 CPU cores at 32-64 px."""
    inputs = keras.Input(tuple(input_shape))
    x = inputs
    for i, filters in enumerate((16, 32, 64)):
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=False, name=f"conv{i + 1}")(x)
        x = keras.layers.BatchNormalization(name=f"bn{i + 1}")(x)
        x = keras.layers.ReLU(name=f"relu{i + 1}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inputs, x, name="backbone")


def make_inception_v2(input_shape):
    from resizer.models.inception_v2 import inception_v2_features

    return inception_v2_features(input_shape, name="backbone")


_GOOGLE = "https://storage.googleapis.com/tensorflow/keras-applications/"
_TF_MODE = "[-1, 1] ('tf' mode)"

BACKBONES = {
    "inception_v2": Backbone(
        "inception_v2", "resizer.models.inception_v2 (TF-slim nets/inception_v2.py)", make_inception_v2,
        *TO_MINUS_ONE_ONE, normalisation="[-1, 1] (slim inception preprocessing)", classifier_dropout=0.2,
        paper_gflops_224=3.88),
    "densenet121": _application(
        "densenet121", "DenseNet121", TO_IMAGENET_STANDARD, "ImageNet mean/std ('torch' mode)", _GOOGLE + "densenet/",
        "densenet121_weights_tf_dim_ordering_tf_kernels.h5", "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
        5.67),
    "resnet50": _application(
        "resnet50", "ResNet50V2", TO_MINUS_ONE_ONE, _TF_MODE, _GOOGLE + "resnet/",
        "resnet50v2_weights_tf_dim_ordering_tf_kernels.h5", "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
        6.97),
    "mobilenet_v2": _application(
        "mobilenet_v2", "MobileNetV2", TO_MINUS_ONE_ONE, _TF_MODE, _GOOGLE + "mobilenet_v2/",
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5", 0.60),
    "efficientnet_b0": _application(
        "efficientnet_b0", "EfficientNetB0", TO_0_255,
        "x255, then the model's own Rescaling(1/255) + ImageNet mean/std Normalization",
        "https://storage.googleapis.com/keras-applications/", "efficientnetb0.h5", "efficientnetb0_notop.h5", 0.74,
        make=make_efficientnet_b0, classifier_dropout=0.2),
    "tiny_cnn": Backbone(
        "tiny_cnn", "resizer.models.backbones.make_tiny_cnn (tests, demo)", make_tiny_cnn, *TO_MINUS_ONE_ONE,
        normalisation="[-1, 1]"),
}

PAPER_BACKBONES = ("inception_v2", "densenet121", "resnet50", "mobilenet_v2", "efficientnet_b0")
