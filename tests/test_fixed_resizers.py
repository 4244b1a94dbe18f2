"""The fixed resizers a careful user tries first (antialiased bilinear, area) as real model resizers,
and fixed resizers that resize inside the model (--resizer_input with a fixed --resizer)."""

import numpy as np
import pytest
import tensorflow as tf

from resizer import config
from resizer import resizers
from resizer.models import build

FIXED_RESIZERS = tuple(n for n in resizers.names() if not resizers.get(n).learned)

IMAGES = tf.random.stateless_uniform((2, 28, 28, 3), seed=(1, 2))


def _resizer_output(model, images):
    layer = model.get_layer("fixed_resizer")
    return layer(images).numpy()


@pytest.mark.parametrize("resizer, method, antialias", [
    ("bilinear", "bilinear", False), ("bicubic", "bicubic", False),
    ("bilinear_aa", "bilinear", True), ("area", "area", False)])
def test_fixed_resizers_are_tf_image_resize(resizer, method, antialias):
    model = build("classification", "tiny_cnn", resizer, input_size=28, output_size=7, num_classes=10)
    expected = tf.image.resize(IMAGES, (7, 7), method=method, antialias=antialias).numpy()
    np.testing.assert_allclose(_resizer_output(model, IMAGES), expected, atol=1e-5)
    assert model.predict(IMAGES, verbose=0).shape == (2, 10)


def test_antialiasing_and_area_differ_from_plain_bilinear():
    """Down-scaling 4x, plain bilinear samples 4 of 16 pixels; the others average all of them."""
    plain, aa, area = (_resizer_output(build("classification", "tiny_cnn", r, 28, 7, num_classes=10), IMAGES)
                       for r in ("bilinear", "bilinear_aa", "area"))
    np.testing.assert_allclose(area, IMAGES.numpy().reshape(2, 7, 4, 7, 4, 3).mean(axis=(2, 4)), atol=1e-5)
    assert np.abs(plain - aa).max() > 0.05 and np.abs(aa - area).max() < np.abs(plain - area).max()


def test_fixed_area_model_trains():
    """Area resizing has no gradient, but nothing trainable sits before the fixed resizer."""
    model = build("classification", "tiny_cnn", "area", 28, 14, num_classes=10)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(IMAGES, training=True) ** 2)
    gradients = tape.gradient(loss, model.trainable_variables)
    assert all(g is not None for g in gradients) and len(gradients) > 0


def test_learned_resizer_refuses_area():
    with pytest.raises(ValueError, match="no gradient for area"):
        build("classification", "tiny_cnn", "learned", 28, 14, num_classes=10, interpolation="area")


def _cfg(**values):
    return config.make({"experiment": "x", "dataset": "fashion_mnist", "eval_split": "test", "num_classes": 10,
                        "backbone": "tiny_cnn", **values})


def test_config_fixed_resizer_inside_the_model():
    cfg = _cfg(resizer="area", resizer_input=28, output=7)
    assert (cfg.model_input, cfg.pipeline_size) == (28, 28)
    assert cfg.settings("t", "e")["resizer_input"] == 28
    plain = _cfg(resizer="bilinear", output=14)  # resized in the input pipeline, as the paper's baselines
    assert (plain.model_input, plain.settings("t", "e")["resizer_input"]) == (14, None)
    assert {"bilinear", "bicubic", "bilinear_aa", "area"} <= set(FIXED_RESIZERS)


@pytest.mark.parametrize("values, message", [
    (dict(resizer="area", resizer_input=7, output=14), "must be >= the output"),
    (dict(resizer="bilinear", resizer_input=28, output=28, distortion="downscale4x"), "unset with a down-scaling distortion"),
    (dict(resizer="bilinear", output=3), "at least 4 pixels"),
])
def test_config_refuses_impossible_fixed_resizers(values, message):
    with pytest.raises(ValueError, match=message):
        _cfg(**values)
