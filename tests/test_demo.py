"""The demo: its generated task loses class evidence when shrunk, and scripts/demo.py runs the
real train/eval scripts on configs/demo/*.flags and prints both models side by side."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from resizer import results
from resizer.data import make_dataset
from resizer.datasets import synthetic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPTIONS = dict(stream=1, seed=0, image_size=64, patches=2, num_classes=4, task="classification")


def pair(index):
    """The same example with and without its texture (every other draw is shared)."""
    with_texture = synthetic.render(index, amplitude=(0.15, 0.15), **OPTIONS)
    without = synthetic.render(index, amplitude=(0.0, 0.0), **OPTIONS)
    as_float = lambda e: tf.cast(e["image"], tf.float32) / 255.0
    return as_float(with_texture), as_float(without), int(with_texture["label"])


def test_bilinear_shrinking_wipes_out_most_of_the_texture():
    full, shrunk, labels = [], [], []
    for index in range(48):
        x, x0, label = pair(index)
        full.append(float(tf.reduce_mean(tf.abs(x - x0))))
        small = lambda image: tf.image.resize(image, (16, 16))  # the pipeline's bilinear, no antialiasing
        shrunk.append(float(tf.reduce_mean(tf.abs(small(x) - small(x0)))))
        labels.append(label)
    full, shrunk, labels = map(np.array, (full, shrunk, labels))
    assert set(labels) == {0, 1, 2, 3}
    textured = labels != synthetic.CLASSES.index("plain")
    assert full[~textured].max() == 0 and full[textured].min() > 0.005  # the class is in the texture
    assert shrunk[textured].mean() < 0.5 * full[textured].mean()


def test_splits_are_fixed_disjoint_and_prefix_consistent():
    longer, n = synthetic.source("train", size=32)
    head, m = synthetic.source("train", size=16)
    test, _ = synthetic.source("test", size=16)
    assert (n, m) == (32, 16) and synthetic.SPLIT_SIZES["train"] == 8192
    a = np.stack([e["image"] for e in longer.take(16).as_numpy_iterator()])
    b = np.stack([e["image"] for e in head.as_numpy_iterator()])
    c = np.stack([e["image"] for e in test.as_numpy_iterator()])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and a.shape == (16, 64, 64, 3) and a.dtype == np.uint8
    with pytest.raises(ValueError, match="splits"):
        synthetic.source("holdout")


def test_pipeline_serves_the_demo_and_iqa_smoke_runs():
    images, labels = next(iter(make_dataset("synthetic", "train", data_dir=None, training=True, input_size=16,
                                            batch_size=4, source_options={"size": 8})[0]))
    assert images.shape == (4, 16, 16, 3) and labels.dtype == tf.int32
    (images, targets), = make_dataset("synthetic", "test", data_dir=None, training=False, input_size=32,
                                      batch_size=4, num_examples=4, source_options={"task": "iqa", "size": 4})[0]
    assert targets.shape == (4, 10) and np.allclose(targets.numpy().sum(axis=1), 1.0)


@pytest.mark.slow
def test_demo_script_runs_both_models_through_train_and_eval(tmp_path):
    proc = subprocess.run([sys.executable, "scripts/demo.py", f"--runs_dir={tmp_path}", "--train_steps=3",
                           "--eval_examples=32"], cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for script in ("train.py", "eval.py"):
        for flags in ("configs/demo/bilinear_16.flags", "configs/demo/learned_64.flags"):
            assert f"scripts/{script} --flagfile={flags} --seed=0" in out
    table = out[out.index("seed 0 "):]
    assert table.splitlines()[0].split()[-2:] == ["bilinear", "learned"]
    assert "top-1 error (%)" in table and "GFLOPs / image" in table
    written = {}
    for name in ("bilinear_16", "learned_64"):
        written[name] = results.read(str(tmp_path / "demo" / "seed0" / name / "results.json"))
        assert written[name]["table"] is None and written[name]["experiment"] == f"demo/{name}"
        assert written[name]["training"]["steps"] == 3 and written[name]["split_size"] == 32
    assert written["learned_64"]["settings"]["resizer_input"] == 64
    assert written["bilinear_16"]["settings"]["resizer_input"] is None
    assert written["learned_64"]["gflops"] > written["bilinear_16"]["gflops"]
    line = next(l for l in table.splitlines() if l.startswith("top-1 error (%)"))
    assert line.split()[-2:] == [f"{written[n]['metrics']['top1_error_pct']:.2f}" for n in ("bilinear_16",
                                                                                            "learned_64")]
