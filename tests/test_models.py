"""resizer.models: the builder, its config, normalisation, heads and pretrained-weight loading."""

import os

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from resizer.models import BACKBONES, build, build_from_config, load_pretrained
from resizer.models.backbones import paper_backbones
from resizer.models.backbones import IMAGENET_MEAN, IMAGENET_STD

RNG = np.random.default_rng(3)


def images(n, size):
    return RNG.random((n, size, size, 3)).astype("float32")


def test_tiny_classifier_shapes_names_and_float32_logits():
    model = build("classification", "tiny_cnn", "learned", input_size=48, output_size=32, num_classes=10)
    assert [l.name for l in model.layers] == ["images", "learned_resizer", "normalization", "backbone",
                                              "head_dropout", "logits"]
    out = model(images(2, 48))
    assert out.shape == (2, 10) and out.dtype == tf.float32
    resized = keras.Model(model.input, model.get_layer("learned_resizer").output)(images(1, 48))
    assert resized.shape == (1, 32, 32, 3)  # an image, before the backbone's normalisation


def test_iqa_head_is_a_10_bin_distribution():
    model = build("iqa", "tiny_cnn", "bicubic", input_size=32, output_size=32)
    probs = model(images(3, 32)).numpy()
    assert probs.shape == (3, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert model.head_name == "scores" and model.get_layer("head_dropout").rate == 0.75
    with pytest.raises(ValueError, match="10-bin"):
        build("iqa", "tiny_cnn", num_classes=5)


def test_fixed_resizer_is_identity_at_the_output_size():
    model = build("classification", "tiny_cnn", "bicubic", input_size=32, output_size=32, num_classes=4)
    x = images(2, 32)
    fixed = model.get_layer("fixed_resizer")
    np.testing.assert_allclose(fixed(x).numpy(), x, atol=1e-5)
    smaller = build("classification", "tiny_cnn", "bilinear", input_size=64, output_size=32, num_classes=4)
    assert smaller.get_layer("fixed_resizer")(images(1, 64)).shape == (1, 32, 32, 3)


def test_config_rebuilds_the_same_model_and_keras_file_round_trips(tmp_path):
    model = build("classification", "tiny_cnn", "learned", input_size=40, output_size=24, filters=8,
                  num_res_blocks=2, num_classes=6, interpolation="bicubic")
    config = model.get_config()
    assert {k: config[k] for k in ("task", "backbone", "resizer", "input_size", "output_size", "filters",
                                   "num_res_blocks", "num_classes", "interpolation")} == {
        "task": "classification", "backbone": "tiny_cnn", "resizer": "learned", "input_size": [40, 40],
        "output_size": [24, 24], "filters": 8, "num_res_blocks": 2, "num_classes": 6, "interpolation": "bicubic"}
    twin = build_from_config(config)
    assert twin.get_config() == config and twin.count_params() == model.count_params()
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.get_config() == config
    x = images(2, 40)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), atol=1e-5)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="backbone"):
        build("classification", "vgg16")
    with pytest.raises(ValueError, match="task"):
        build("segmentation", "tiny_cnn")
    with pytest.raises(ValueError, match="resizer"):
        build("classification", "tiny_cnn", resizer="lanczos3")
    with pytest.raises(ValueError, match="input_size"):
        build("classification", "tiny_cnn", input_size=0)
    with pytest.raises(ValueError, match="build_from_config"):
        build_from_config("tiny_cnn")


def test_logits_stay_float32_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build("classification", "tiny_cnn", "learned", input_size=32, output_size=32, num_classes=3)
        assert model.get_layer("learned_resizer").compute_dtype == "float16"
        assert model(images(1, 32)).dtype == tf.float32
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("backbone,zero,one", [
    ("resnet50", [-1, -1, -1], [1, 1, 1]),
    ("mobilenet_v2", [-1, -1, -1], [1, 1, 1]),
    ("inception_v2", [-1, -1, -1], [1, 1, 1]),
    ("densenet121", [-m / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD)],
     [(1 - m) / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD)]),
    ("efficientnet_b0", [0, 0, 0], [255, 255, 255]),
])
def test_each_backbone_normalisation_maps_unit_images(backbone, zero, one):
    from resizer.models.builder import ChannelAffine

    spec = BACKBONES[backbone]
    layer = ChannelAffine(spec.scale, spec.offset)
    x = np.stack([np.zeros((2, 2, 3)), np.ones((2, 2, 3))]).astype("float32")
    y = layer(x).numpy()
    np.testing.assert_allclose(y[0, 0, 0], zero, rtol=1e-5)
    np.testing.assert_allclose(y[1, 0, 0], one, rtol=1e-5)


def test_efficientnet_builtin_normalisation_uses_imagenet_statistics():
    backbone = BACKBONES["efficientnet_b0"].make((32, 32, 3))
    norm = next(l for l in backbone.layers if isinstance(l, keras.layers.Normalization))
    x = (255.0 * np.array(IMAGENET_MEAN) + 255.0 * np.array(IMAGENET_STD)).reshape(1, 1, 1, 3).astype("float32")
    np.testing.assert_allclose(norm(x / 255.0).numpy().ravel(), [1, 1, 1], rtol=1e-4)


def test_paper_backbones_parameter_counts():
    # keras.applications' include_top counts (ResNet50V2, DenseNet121, MobileNetV2, EfficientNetB0);
    # Inception-v2: slim's trainable count (BN moving statistics excluded).
    expected = {"resnet50": 25613800, "densenet121": 8062504, "mobilenet_v2": 3538984,
                "efficientnet_b0": 5330571}
    for name in paper_backbones():
        model = build("classification", name, "bilinear", 224, 224)
        if name == "inception_v2":
            assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 11178336
        else:
            assert model.count_params() == expected[name], name
        del model
        keras.backend.clear_session()


# Pretrained weights -------------------------------------------------------------------

@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return tmp_path / "keras_home"


def test_missing_imagenet_weights_say_where_to_put_the_file(keras_home):
    model = build("classification", "mobilenet_v2", "bilinear", 32, 32, num_classes=10)
    with pytest.raises(FileNotFoundError) as error:
        load_pretrained(model, "imagenet")
    message = str(error.value)
    expected = os.path.join(str(keras_home), "models", "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5")
    assert expected in message and "https://storage.googleapis.com/" in message
    inception = build("classification", "inception_v2", "bilinear", 32, 32, num_classes=10)
    with pytest.raises(FileNotFoundError, match="inception_v2_2016_08_28.tar.gz"):
        load_pretrained(inception, "imagenet")
    with pytest.raises(ValueError, match="no ImageNet weights"):
        load_pretrained(build("classification", "tiny_cnn", num_classes=3), "imagenet")


def test_imagenet_weights_from_the_keras_cache_fill_backbone_and_head(keras_home):
    from keras.src.legacy.saving import legacy_h5_format

    reference = keras.applications.MobileNetV2(include_top=True, weights=None, input_shape=(224, 224, 3))
    os.makedirs(keras_home / "models")
    with h5py.File(keras_home / "models" / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, reference)
    model = build("classification", "mobilenet_v2", "learned", 64, 48, weights="imagenet")
    np.testing.assert_array_equal(model.get_layer("logits").kernel.numpy(),
                                  reference.get_layer("predictions").kernel.numpy())
    np.testing.assert_array_equal(model.get_layer("backbone").get_layer("block_16_project").kernel.numpy(),
                                  reference.get_layer("block_16_project").kernel.numpy())


def test_learned_resizer_weights_file_moves_the_resizer_to_another_model(tmp_path):
    # Tables 6/7: a trained resizer (here r = 2, n = 8) initialises another model's resizer.
    source = build("classification", "tiny_cnn", "learned", 64, 32, num_classes=10, filters=8, num_res_blocks=2)
    source.save_weights(str(tmp_path / "source.weights.h5"))
    target = build("classification", "tiny_cnn", "learned", 64, 32, num_classes=4, filters=8, num_res_blocks=2)
    load_pretrained(target, str(tmp_path / "source.weights.h5"), parts=("resizer",))
    for a, b in zip(source.get_layer("learned_resizer").get_weights(), target.get_layer("learned_resizer").get_weights()):
        np.testing.assert_array_equal(a, b)


def test_baseline_weights_initialise_the_proposed_model(tmp_path):
    baseline = build("classification", "tiny_cnn", "bilinear", 32, 32, num_classes=10)
    baseline.save_weights(str(tmp_path / "baseline.weights.h5"))
    proposed = build("classification", "tiny_cnn", "learned", 64, 32, num_classes=10, filters=8)
    before = proposed.get_layer("learned_resizer").get_weights()
    report = load_pretrained(proposed, str(tmp_path / "baseline.weights.h5"))
    assert report["head"] == "copied" and report["resizer"].startswith("not copied")
    for a, b in zip(baseline.get_layer("backbone").get_weights(), proposed.get_layer("backbone").get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(before, proposed.get_layer("learned_resizer").get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_trained_resizer_moves_to_another_backbone(tmp_path):
    source = build("iqa", "tiny_cnn", "learned", 48, 32, filters=8, num_res_blocks=2)
    source.get_layer("learned_resizer").set_weights(
        [RNG.normal(size=w.shape).astype("float32") for w in source.get_layer("learned_resizer").get_weights()])
    source.save(str(tmp_path / "source.keras"))
    target = build("iqa", "mobilenet_v2", "learned", 48, 32, filters=8, num_res_blocks=2)
    assert load_pretrained(target, str(tmp_path / "source.keras"), parts=("resizer",)) == {
        "source": source.name, "resizer": "copied"}
    for a, b in zip(source.get_layer("learned_resizer").get_weights(), target.get_layer("learned_resizer").get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="do not fit the backbone"):
        load_pretrained(target, str(tmp_path / "source.keras"), parts=("backbone",))
    other = build("iqa", "tiny_cnn", "learned", 48, 32, filters=16)
    with pytest.raises(ValueError, match="shapes differ"):
        load_pretrained(other, str(tmp_path / "source.keras"), parts=("resizer",))


def test_tf_checkpoints_restore_or_refuse(tmp_path):
    source = build("classification", "tiny_cnn", "bilinear", 32, 32, num_classes=5)
    tf.train.Checkpoint(model=source).write(str(tmp_path / "ckpt" / "model"))
    target = build("classification", "tiny_cnn", "bilinear", 32, 32, num_classes=5)
    load_pretrained(target, str(tmp_path / "ckpt"))
    for a, b in zip(source.get_weights(), target.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(FileNotFoundError, match="not found"):
        load_pretrained(target, str(tmp_path / "nothing_here"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_pretrained(target, str(tmp_path / "missing.weights.h5"))
    with pytest.raises(ValueError, match="parts"):
        load_pretrained(target, str(tmp_path / "ckpt"), parts=("optimizer",))
