"""Resized-image figures from a saved model's learned resizer."""

import os
import subprocess
import sys

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest

from resizer import LearnedResizer, visualize
from test_compare import ROOT


def _save_model(path, zero_init_last=False, interpolation="bilinear"):
    keras.utils.set_random_seed(1)
    inputs = keras.Input((48, 48, 3))
    x = LearnedResizer(24, filters=4, interpolation=interpolation, zero_init_last=zero_init_last,
                       name="learned_resizer")(inputs)
    outputs = keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(x))
    keras.Model(inputs, outputs).save(path)
    return path


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {"random": _save_model(str(root / "random.keras")),
            "zero": _save_model(str(root / "zero.keras"), zero_init_last=True, interpolation="bicubic")}


def test_figure_has_four_panels_per_image_and_the_learned_one_differs(saved):
    resizer, size = visualize.load_resizer(saved["random"])
    assert isinstance(resizer, LearnedResizer) and size == (48, 48)
    images = [visualize.sample_image("chelsea"), visualize.sample_image("rocket")]
    fig = visualize.figure(resizer, images, ["chelsea", "rocket"], input_size=size)
    assert len([ax for ax in fig.axes if ax.get_label() != "<colorbar>"]) == 8  # + the differences' colour bars
    titles = [ax.get_title() for ax in fig.axes[:4]]
    assert titles[0] == "chelsea: input 48x48" and titles[1].startswith("bilinear 24x24 ([")
    assert titles[2].startswith("learned 24x24 ([") and "% beyond" in titles[2]
    assert "shown on one range per image" in fig.texts[0].get_text()
    clipped = visualize.figure(resizer, images[:1], ["chelsea"], input_size=size, display="clip")
    assert clipped.axes[2].get_title().startswith("learned 24x24 (clipped, ")
    assert "shown clipped" in clipped.texts[0].get_text()
    plt.close(clipped)
    plain, learned = (np.asarray(ax.images[0].get_array()) for ax in fig.axes[1:3])
    assert plain.shape == learned.shape == (24, 24, 3)
    assert np.abs(learned - plain).max() > 1e-3
    plt.close(fig)


def _loud_resizer(gain):
    """An untrained resizer whose last conv is scaled up until, like the trained ones of the
    issue, most of its output leaves [0, 1]."""
    keras.utils.set_random_seed(3)
    resizer = LearnedResizer(32, filters=4)
    resizer(np.zeros((1, 64, 64, 3), np.float32))
    resizer.conv_out.kernel.assign(resizer.conv_out.kernel * gain)
    return resizer


def _generated_image(side=64, seed=0):
    """A smooth random colour field with fine texture, in [0, 1]."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((8, 8, 3))
    field = np.kron(coarse, np.ones((side // 8, side // 8, 1)))
    return (0.8 * field + 0.2 * rng.random((side, side, 3))).astype(np.float32)


def test_default_rendering_puts_plain_and_learned_on_one_readable_scale():
    resizer = _loud_resizer(gain=30.0)
    panels = visualize.resize_panels(resizer, _generated_image())
    learned = panels["learned"]
    assert np.mean((learned < 0) | (learned > 1)) > 0.5  # clipped, this would be mostly saturated
    fig = visualize.figure(resizer, [_generated_image()], ["generated"])
    plain_ax, learned_ax, diff_ax = fig.axes[1], fig.axes[2], fig.axes[3]
    shown = np.asarray(learned_ax.images[0].get_array())
    assert np.mean((shown <= 0) | (shown >= 1)) < 0.025  # only the joint 0.5% tails saturate
    # one range for both: the same linear map takes the plain and the learned values to the screen
    lo, hi = visualize.shared_range(panels["plain"], learned)
    for ax, raw in ((plain_ax, panels["plain"]), (learned_ax, learned)):
        np.testing.assert_allclose(np.asarray(ax.images[0].get_array()), ((raw - lo) / (hi - lo)).clip(0, 1),
                                   atol=1e-5)
        assert f"[{lo:.2f}, {hi:.2f}]" in ax.get_title()
    low, high = diff_ax.images[0].get_clim()
    assert low == -high and high > 0 and diff_ax.images[0].get_cmap().name == "RdBu_r"  # diverging, symmetric
    assert f"\u00b1{high:.3f}" in diff_ax.get_title()
    plt.close(fig)


def test_zero_initialised_resizer_is_exactly_the_plain_resize(saved):
    resizer, size = visualize.load_resizer(saved["zero"])
    panels = visualize.resize_panels(resizer, visualize.sample_image("coffee"), size)
    assert panels["original"].shape == (48, 48, 3) and panels["learned"].shape == (24, 24, 3)
    np.testing.assert_allclose(panels["learned"], panels["plain"], atol=1e-5)
    fig = visualize.figure(resizer, [visualize.sample_image("coffee")], ["coffee"], input_size=size)
    assert fig.axes[1].get_title().startswith("bicubic 24x24 (")
    plt.close(fig)


def test_learned_output_outside_unit_range_is_clipped_or_stretched_and_captioned():
    learned = np.linspace(-1.0, 3.0, 2 * 2 * 3, dtype=np.float32).reshape(2, 2, 3)
    clipped, caption = visualize.display_learned(learned, "clip")
    assert clipped.min() == 0.0 and clipped.max() == 1.0 and caption == "clipped, 75.0% out of [0,1]"
    stretched, caption = visualize.display_learned(learned, "stretch")
    assert caption.startswith("[-0.96, 2.96] stretched") and 0 < np.mean(stretched) < 1
    assert np.all(np.diff(stretched.ravel()) >= 0)  # monotone: the order of values is kept
    with pytest.raises(ValueError, match="expected one of"):
        visualize.display_learned(learned, "log")


def test_sample_images_and_files_are_float_rgb(tmp_path):
    for name in visualize.DEFAULT_IMAGES:
        image = visualize.sample_image(name)
        assert image.dtype == np.float32 and image.shape[-1] == 3 and 0.0 <= image.min() and image.max() <= 1.0
    assert visualize.center_square(np.zeros((30, 50, 3))).shape == (30, 30, 3)
    with pytest.raises(ValueError, match="unknown sample image 'lena'"):
        visualize.sample_image("lena")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        visualize.read_image(str(tmp_path / "missing.png"))


def test_bad_checkpoints_get_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="holds no training checkpoint with a config.json and no .keras"):
        visualize.load_resizer(str(tmp_path))
    inputs = keras.Input((8, 8, 3))
    keras.Model(inputs, keras.layers.Conv2D(3, 1)(inputs)).save(str(tmp_path / "baseline.keras"))
    with pytest.raises(ValueError, match="has no LearnedResizer"):
        visualize.load_resizer(str(tmp_path))  # the directory's only .keras file
    (tmp_path / "junk.keras").write_text("not a zip")
    with pytest.raises(ValueError, match="cannot load .*junk.keras as a Keras model"):
        visualize.load_resizer(str(tmp_path / "junk.keras"))


def test_a_training_model_directory_gives_its_trained_resizer(tmp_path):
    import json

    import tensorflow as tf

    from resizer import models

    keras.utils.set_random_seed(2)
    model = models.build("classification", "tiny_cnn", resizer="learned", input_size=48, output_size=24, filters=4,
                         num_classes=2, interpolation="bicubic")
    trained = model.get_layer("learned_resizer")
    trained.conv_out.kernel.assign(tf.random.normal(trained.conv_out.kernel.shape))  # not its initial value
    # The layout scripts/train.py leaves: tf.train checkpoints of the model, and config.json.
    tf.train.Checkpoint(model=model, resizer=trained).save(str(tmp_path / "ckpt"))
    config = {"task": "classification", "backbone": "tiny_cnn", "num_classes": 2, "resizer": "learned",
              "resizer_input": 48, "output": 24, "filters": 4, "res_blocks": 1, "interpolation": "bicubic"}
    (tmp_path / "config.json").write_text(json.dumps(config))
    resizer, size = visualize.load_resizer(str(tmp_path))
    assert size == (48, 48) and resizer.interpolation == "bicubic" and resizer.output_size == (24, 24)
    np.testing.assert_array_equal(resizer.conv_out.kernel.numpy(), trained.conv_out.kernel.numpy())
    resizer, _ = visualize.load_resizer(str(tmp_path / "ckpt-1"))  # a checkpoint prefix
    np.testing.assert_array_equal(resizer.conv_out.kernel.numpy(), trained.conv_out.kernel.numpy())
    (tmp_path / "config.json").write_text(json.dumps({**config, "filters": 8}))
    with pytest.raises(ValueError, match="does not fit the model"):
        visualize.load_resizer(str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps({**config, "resizer": "bilinear"}))
    with pytest.raises(ValueError, match="--resizer=bilinear; it has no learned resizer"):
        visualize.load_resizer(str(tmp_path))


def test_visualize_script_writes_the_figure(tmp_path, saved):
    out = subprocess.run([sys.executable, "scripts/visualize.py", f"--checkpoint={saved['random']}",
                          "--images=astronaut", f"--out_dir={tmp_path}", "--formats=png"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert os.listdir(tmp_path) == ["resized.png"]
