"""EfficientNet-b0 (keras.applications): Tables 5, 7 and 8."""

import keras

from resizer.models.backbones import (IMAGENET_MEAN, IMAGENET_STD, TO_0_255, application, register_backbone,
                                      renamed)


def make_efficientnet_b0(input_shape):
    model = keras.applications.EfficientNetB0(include_top=False, weights=None, input_shape=tuple(input_shape),
                                               pooling="avg")
    set_efficientnet_normalization(model)
    return renamed(model)


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


register_backbone(application(
    "efficientnet_b0", "EfficientNetB0", TO_0_255,
    "x255, then the model's own Rescaling(1/255) + ImageNet mean/std Normalization",
    "https://storage.googleapis.com/keras-applications/", "efficientnetb0.h5", "efficientnetb0_notop.h5", 0.74,
    make=make_efficientnet_b0, classifier_dropout=0.2, in_paper=True))
