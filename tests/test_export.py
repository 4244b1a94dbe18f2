"""scripts/export.py: a tiny trained run's resizer as SavedModel and TFLite gives the Keras layer's
output; fixed-resizer runs and model directories without a checkpoint are refused in one line."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from resizer import config, export
from resizer.training import loop

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The demo's classifier on generated data, 32 px -> learned resizer -> 16 px, a few steps.
TINY = dict(experiment="test/export", task="classification", dataset="synthetic", num_classes=4, train_split="train",
            eval_split="test", backbone="tiny_cnn", resizer="learned", resizer_input=32, output=16, batch_size=8,
            train_steps=3, train_examples=32, eval_examples=8, log_every_steps=1, learning_rate=0.01)


def tiny_run(model_dir, eval_at_end=False, **overrides):
    """Trains a tiny run in this process (seconds) into `model_dir`; returns its Config."""
    cfg = config.make({**TINY, "model_dir": str(model_dir), "eval_at_end": eval_at_end, **overrides})
    loop.train(cfg, log=lambda text: None)
    return cfg


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "run"
    tiny_run(path)
    return str(path)


@pytest.fixture(scope="module")
def trained(run_dir):
    """The trained resizer layer as Keras holds it, restored from the run's checkpoint."""
    model, _ = export.load_run(run_dir)
    return model.get_layer("learned_resizer")


def _images(shape, seed=0):
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def _tflite(path, x):
    interpreter = tf.lite.Interpreter(model_path=path)
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert inp["dtype"] == np.float32 and list(inp["shape"]) == list(x.shape)
    interpreter.set_tensor(inp["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(out["index"]), interpreter


def test_restored_layer_holds_the_checkpoint_not_a_fresh_initialisation(run_dir, trained):
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(run_dir))
    saved = reader.get_tensor("resizer/bn_in/moving_mean/.ATTRIBUTES/VARIABLE_VALUE")
    assert np.abs(saved).max() > 0  # training moved the statistics away from their zero start
    np.testing.assert_array_equal(trained.bn_in.moving_mean.numpy(), saved)


def test_saved_model_gives_the_keras_layer_output_at_any_input_size(run_dir, trained, tmp_path):
    path, layer, size = export.export(run_dir, "saved_model", out=str(tmp_path / "sm"))
    assert size is None and layer.name == "learned_resizer"
    serve = tf.saved_model.load(path).signatures["serving_default"]
    for shape in ((2, 32, 32, 3), (1, 48, 40, 3)):
        x = _images(shape)
        (got,) = serve(images=tf.constant(x)).values()
        want = trained(x, training=False).numpy()
        plain = tf.image.resize(x, (16, 16)).numpy()
        assert got.shape == want.shape == (shape[0], 16, 16, 3)
        np.testing.assert_allclose(got.numpy(), want, atol=1e-4, rtol=0)
        assert np.abs(want - plain).max() > 1e-2  # a learned resize, not the bilinear skip alone


def test_tflite_float32_gives_the_keras_layer_output(run_dir, trained, tmp_path):
    path, _, size = export.export(run_dir, "tflite", out=str(tmp_path / "r.tflite"))
    assert size == (32, 32)  # the run's --resizer_input
    x = _images((1, 32, 32, 3), seed=1)
    got, _ = _tflite(path, x)
    want = trained(x, training=False).numpy()
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)


def test_tflite_float16_weights_load_and_stay_close(run_dir, trained, tmp_path):
    full, _, _ = export.export(run_dir, "tflite", (40, 48), out=str(tmp_path / "f32.tflite"))
    half, _, _ = export.export(run_dir, "tflite", (40, 48), float16=True, out=str(tmp_path / "f16.tflite"))
    assert os.path.getsize(half) < 0.7 * os.path.getsize(full)
    x = _images((1, 40, 48, 3), seed=2)
    got, interpreter = _tflite(half, x)
    assert any(t["dtype"] == np.float16 for t in interpreter.get_tensor_details())  # weights stored as float16
    want = trained(x, training=False).numpy()
    error = np.abs(got - want).max()
    # float16 weights round at 2^-11 relative; on outputs of about unit scale that stays below
    # 5e-3 through the resizer's 7 convolutions (measured: 5e-4).
    assert 0 < error < 5e-3, error


def test_fixed_resizer_run_is_refused_in_one_line(tmp_path):
    model_dir = tmp_path / "bilinear"
    tiny_run(model_dir, resizer="bilinear", resizer_input=None, train_steps=1)
    with pytest.raises(ValueError) as info:
        export.export(str(model_dir), "tflite")
    message = str(info.value)
    assert "\n" not in message and "--resizer=bilinear" in message and "nothing to export" in message


def test_script_refuses_a_model_dir_without_checkpoint_in_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = subprocess.run([sys.executable, "scripts/export.py", f"--model_dir={tmp_path / 'empty'}",
                           "--format=saved_model"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("export.py: ") and "holds no checkpoint: train it first" in last


def test_exported_saved_model_also_converts_to_tflite_without_nan(run_dir, trained, tmp_path):
    """The route's reason (resizer/export.py): ExportArchive's SavedModel restores in graph mode, so
    even TFLiteConverter.from_saved_model, all-NaN on a tf.saved_model.save of the model, converts it."""
    path, _, _ = export.export(run_dir, "saved_model", out=str(tmp_path / "sm"))
    interpreter = tf.lite.Interpreter(model_content=tf.lite.TFLiteConverter.from_saved_model(path).convert())
    interpreter.resize_tensor_input(interpreter.get_input_details()[0]["index"], [1, 32, 32, 3])
    x = _images((1, 32, 32, 3), seed=3)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(got, trained(x, training=False).numpy(), atol=1e-4, rtol=0)
