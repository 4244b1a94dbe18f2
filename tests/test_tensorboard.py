"""A tiny run's TensorBoard event files, read back with TensorBoard's own EventAccumulator: the
training scalars, the evaluation metrics under the training tags, and the resized images."""

import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from resizer.training import tb_images
from resizer.visualize import sample_image, shared_range
from test_export import tiny_run


def _events(directory):
    accumulator = EventAccumulator(str(directory), size_guidance={"tensors": 0, "images": 0})
    accumulator.Reload()
    return accumulator


def _scalars(accumulator, tag):
    return [(e.step, float(tf.make_ndarray(e.tensor_proto))) for e in accumulator.Tensors(tag)]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("tensorboard") / "run"
    tiny_run(path, eval_at_end=True, train_steps=4, log_every_steps=2)
    return path


def test_training_logs_loss_learning_rate_and_images_per_second(run_dir):
    train = _events(run_dir / "train")
    for tag in ("loss", "learning_rate", "images_per_second"):
        assert tag in train.Tags()["tensors"], train.Tags()
        assert train.SummaryMetadata(tag).plugin_data.plugin_name == "scalars"  # charted, not a raw tensor
        values = _scalars(train, tag)
        assert [step for step, _ in values] == [2, 4] and all(np.isfinite(v) and v > 0 for _, v in values)
    assert _scalars(train, "learning_rate")[0][1] == pytest.approx(0.01)


def test_evaluation_metrics_share_the_training_tags(run_dir):
    train, evaluation = _events(run_dir / "train"), _events(run_dir / "eval")
    shared = set(train.Tags()["tensors"]) & set(evaluation.Tags()["tensors"])
    assert {"loss", "top1_error_pct", "top5_error_pct"} <= shared
    assert [step for step, _ in _scalars(evaluation, "top1_error_pct")] == [4]


def test_evaluation_writes_plain_learned_and_difference_images(run_dir):
    evaluation = _events(run_dir / "eval")
    images = sorted(t for t in evaluation.Tags()["tensors"]
                    if evaluation.SummaryMetadata(t).plugin_data.plugin_name == "images")
    assert images == sorted(tb_images.TAG.format(name) for name in tb_images.IMAGES)
    (event,) = evaluation.Tensors("resizer/chelsea")
    assert event.step == 4
    width, height, png = tf.make_ndarray(event.tensor_proto)  # the image plugin's record
    # 16 px output enlarged 8x to reach 128 px; three panels with two 2-px gaps between them.
    assert (int(height), int(width)) == (128, 8 * (3 * 16 + 2 * 2))
    assert np.asarray(Image.open(io.BytesIO(png))).shape == (128, 416, 3)
    description = evaluation.SummaryMetadata("resizer/chelsea").summary_description
    assert "plain bilinear resize ([" in description and "beyond) | learned - bilinear (+-" in description
    assert "enlarged 8x" in description


def test_images_show_the_plain_resize_and_the_layers_own_output():
    import keras

    from resizer.models import build

    keras.utils.set_random_seed(0)
    model = build("classification", "tiny_cnn", input_size=32, output_size=16, num_classes=4)
    layer = model.get_layer("learned_resizer")
    row, _ = tb_images.panels(layer, sample_image("coffee"), (32, 32))
    assert row.shape == (128, 416, 3) and row.min() >= 0 and row.max() <= 1
    # The pipeline's view of the photograph: its central 400 x 400 square at the model input.
    image = tf.image.resize(sample_image("coffee")[None, :, 100:500], (32, 32)).numpy().clip(0, 1)
    plain = tf.image.resize(image, (16, 16)).numpy()[0]
    learned = layer(image, training=False).numpy()[0]
    assert np.abs(learned - plain).max() > 1e-2
    pixels = row[::8]  # undo the 8x enlargement, panels at columns 0, 144 and 288
    lo, hi = shared_range(plain, learned)  # both on one scale, as scripts/visualize.py shows them
    np.testing.assert_allclose(pixels[:, 0:128:8], ((plain - lo) / (hi - lo)).clip(0, 1), atol=1e-5)
    np.testing.assert_allclose(pixels[:, 144:272:8], ((learned - lo) / (hi - lo)).clip(0, 1), atol=1e-5)
    assert (row[:, 128:144] == 1).all() and pixels[:, 288::8].std() > 0.05  # white gap; a varying map


def test_a_fixed_resize_model_writes_no_images(tmp_path):
    from resizer.models import build

    model = build("classification", "tiny_cnn", resizer="bilinear", input_size=16, output_size=16, num_classes=4)
    assert tb_images.write_resizer_images(model, tb_images.sample_images(("coffee",)), 0, str(tmp_path)) == 0
