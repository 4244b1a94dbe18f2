"""MULLER (resizer.muller): against tf.image.resize and scipy.ndimage, gradients, saving."""

import numpy as np
import pytest
import scipy.ndimage
import tensorflow as tf
import keras

from resizer.muller import MullerResizer, gaussian_taps, muller_flops


def images(batch=2, h=30, w=26, c=3, seed=0):
    return tf.random.stateless_uniform((batch, h, w, c), seed=(seed, 7))


def scipy_blur(x, sigma=1.0, mode="constant"):
    # truncate=2 sigma: scipy's radius int(2 * 1.0 + 0.5) = 2, the 5 taps of MULLER
    y = scipy.ndimage.gaussian_filter1d(np.asarray(x, np.float64), sigma, axis=1, mode=mode, truncate=2.0)
    return scipy.ndimage.gaussian_filter1d(y, sigma, axis=2, mode=mode, truncate=2.0)


def set_weights(layer, values):
    for (w, c), (wv, cv) in zip(layer.bands, values):
        w.assign(wv)
        c.assign(cv)


@pytest.mark.parametrize("method", ["bilinear", "bicubic", "lanczos3", "nearest", "gaussian"])
@pytest.mark.parametrize("out_hw", [(16, 12), (45, 40)])  # down and up
def test_untrained_layer_is_exactly_the_plain_resize(method, out_hw):
    x = images()
    y = MullerResizer(out_hw, interpolation=method)(x)
    np.testing.assert_array_equal(y.numpy(), tf.image.resize(x, out_hw, method=method).numpy())


def test_taps_are_scipys():
    impulse = np.zeros(9)
    impulse[4] = 1
    np.testing.assert_allclose(gaussian_taps(5, 1.0), scipy.ndimage.gaussian_filter1d(impulse, 1.0, truncate=2.0)[2:7],
                               rtol=1e-12)


def test_blur_is_scipys_with_zero_padding():
    x = images(2, 17, 11, c=4)  # each of 4 channels on its own
    layer = MullerResizer(8)
    layer(x)
    blurred = layer.blur(x).numpy()
    np.testing.assert_allclose(blurred, scipy_blur(x.numpy()), atol=1e-6)
    # SAME padding is zeros: scipy's other boundary modes differ at the border
    for mode in ("reflect", "nearest", "mirror"):
        assert np.abs(blurred - scipy_blur(x.numpy(), mode=mode)).max() > 1e-2, mode


def test_trained_layer_matches_a_scipy_and_tf_reference():
    x = images(2, 30, 26)
    layer = MullerResizer((14, 18), num_layers=3)
    layer(x)
    values = [(1.5, -0.1), (-2.0, 0.05), (0.7, 0.2)]
    set_weights(layer, values)
    resize = lambda t: tf.image.resize(t, (14, 18)).numpy()
    expected, level = resize(x), x.numpy()
    for w, c in values:
        blurred = scipy_blur(level).astype(np.float32)
        expected = expected + np.tanh(w * resize(blurred - level) + c)
        level = blurred
    np.testing.assert_allclose(layer(x).numpy(), expected, atol=2e-6)


@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_gradients_reach_every_weight_from_zero(num_layers):
    layer = MullerResizer((12, 12), num_layers=num_layers)
    x = images()
    layer(x)
    assert len(layer.trainable_weights) == 2 * num_layers
    target = tf.image.resize(x, (12, 12), antialias=True)  # sharper/softer than bilinear: a real loss
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(layer(x) - target))
    for var, g in zip(layer.trainable_weights, tape.gradient(loss, layer.trainable_weights)):
        assert g is not None and abs(float(g)) > 0, var.path


def test_sgd_moves_it_off_the_plain_resize():
    x = images()
    target = tf.image.resize(x, (12, 12), antialias=True)
    model = keras.Sequential([keras.Input((30, 26, 3)), MullerResizer((12, 12))])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    first = model.train_on_batch(x, target)
    for _ in range(5):
        last = model.train_on_batch(x, target)
    assert last < first
    assert all(abs(float(v)) > 0 for v in model.trainable_weights)


def test_config_and_keras_file_round_trip(tmp_path):
    inputs = keras.Input((None, None, 3))
    layer = MullerResizer((10, 14), num_layers=3, interpolation="bicubic", antialias=True, sigma=1.5)
    model = keras.Model(inputs, layer(inputs))
    set_weights(layer, [(0.5, 0.1), (-1.0, 0.0), (2.0, -0.3)])
    config = layer.get_config()
    assert {k: config[k] for k in ("output_size", "num_layers", "interpolation", "antialias", "kernel_size", "sigma")} \
        == {"output_size": [10, 14], "num_layers": 3, "interpolation": "bicubic", "antialias": True, "kernel_size": 5,
            "sigma": 1.5}
    assert MullerResizer.from_config(config).get_config() == config
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    x = images(2, 31, 23)
    np.testing.assert_array_equal(reloaded(x).numpy(), model(x).numpy())
    assert [v.path for v in reloaded.weights] == [v.path for v in model.weights]


def test_tf_checkpoint_holds_every_weight(tmp_path):
    layer = MullerResizer(8)
    layer(images())
    path = tf.train.Checkpoint(resizer=layer).write(str(tmp_path / "ckpt"))
    saved = {n for n, _ in tf.train.list_variables(path) if n.endswith("VARIABLE_VALUE")}
    assert saved == {f"resizer/{k}_{i}/.ATTRIBUTES/VARIABLE_VALUE" for k in ("weight", "bias") for i in (1, 2)}


def test_any_input_size_and_channel_count():
    inputs = keras.Input((None, None, 1))
    model = keras.Model(inputs, MullerResizer((9, 7))(inputs))
    for hw in [(20, 20), (33, 17), (5, 6)]:
        assert tuple(model(images(2, *hw, c=1)).shape) == (2, 9, 7, 1)


def test_mixed_precision_computes_in_float16():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        layer = MullerResizer(12)
        y = layer(images())
        assert y.dtype == tf.float16 and layer.weight_1.dtype == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_flops_formula_is_what_the_profiler_counts():
    from resizer import flops

    model = keras.Sequential([keras.Input((48, 40, 3)), MullerResizer((24, 20))])
    assert flops.count_flops(model) == muller_flops((48, 40)) == 2 * 2 * 5 * 48 * 40 * 3 * 2


@pytest.mark.parametrize("kwargs,match", [  # those it shares with LearnedResizer: tests/test_layers.py
    ({"output_size": 8, "num_layers": 0}, "num_layers"),
    ({"output_size": 8, "kernel_size": 4}, "kernel_size"),
    ({"output_size": 8, "kernel_size": 0}, "kernel_size"),
    ({"output_size": 8, "sigma": 0}, "sigma"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MullerResizer(**kwargs)


def test_builds_and_trains_behind_a_backbone():
    import resizer

    model = resizer.build("classification", "tiny_cnn", resizer="muller", input_size=64, output_size=16, num_classes=4)
    layer = model.get_layer("muller_resizer")
    assert isinstance(layer, MullerResizer) and layer.output_size == (16, 16)
    assert model.get_config()["resizer"] == "muller"
    model.compile(optimizer=keras.optimizers.SGD(0.1),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = images(8, 64, 64), tf.constant([0, 1, 2, 3] * 2)
    model.train_on_batch(x, y)
    assert all(abs(float(v)) > 0 for v in layer.trainable_weights)  # the step reached the resizer
    rebuilt = resizer.models.build_from_config(model.get_config())
    assert isinstance(rebuilt.get_layer("muller_resizer"), MullerResizer)


@pytest.mark.slow
def test_train_script_runs_with_muller(tmp_path):
    import json

    from test_training_runs import TINY, run_train

    flags = tmp_path / "muller.flags"
    flags.write_text(TINY.replace("--resizer=learned", "--resizer=muller").replace("test/tiny", "test/muller"))
    proc = run_train(str(flags), tmp_path / "run", "--train_steps=4")
    assert proc.returncode == 0, proc.stderr[-3000:]
    settings = json.loads((tmp_path / "run" / "results.json").read_text())["settings"]
    assert (settings["resizer"], settings["resizer_input"], settings["output"]) == ("muller", 32, 16)
    assert settings["filters_n"] is None and settings["res_blocks_r"] is None
