"""The resizer layers on another Keras backend: the same .keras file (saved here, under
TensorFlow) gives the same outputs and gradients under JAX (tests/backend_worker.py, run in
a subprocess with KERAS_BACKEND=jax, since Keras fixes its backend at import). torch is
not installed here: untested.

Where the backends' kernels differ it is bounded and explained: TF's bicubic resize reads
the Keys cubic kernel (a = -0.5) from a 1024-entry table, JAX evaluates it exactly.
"""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import keras

from resizer import LearnedResizer
from resizer.muller import MullerResizer

# JAX runs in a subprocess only: imported here it would start threads that the suite's later
# os.fork() (multiprocessing lock tests) could deadlock on.
if importlib.util.find_spec("jax") is None:
    pytest.skip("JAX (test-only dependency) is not installed", allow_module_level=True)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IN_HW = (36, 28)

CASES = {  # name: (layer, max |TF - JAX| of the outputs)
    "learned_bilinear": (lambda: LearnedResizer((20, 24), filters=8, num_res_blocks=2), 1e-5),
    "learned_lanczos3_antialias": (lambda: LearnedResizer((20, 24), interpolation="lanczos3", antialias=True), 1e-5),
    "learned_nearest_up": (lambda: LearnedResizer((45, 40), interpolation="nearest"), 1e-5),
    # an integer ratio: TF's table holds the exact kernel positions (0.25, 0.75)
    "learned_bicubic_half": (lambda: LearnedResizer((18, 14), interpolation="bicubic"), 1e-5),
    "muller_bilinear": (lambda: MullerResizer((20, 24)), 1e-5),
    "muller_bicubic_half": (lambda: MullerResizer((18, 14), interpolation="bicubic", num_layers=3), 1e-5),
    # 36 -> 20 and 28 -> 24: the table rounds kernel positions by up to 1/2048 (see the test below)
    "learned_bicubic": (lambda: LearnedResizer((20, 24), interpolation="bicubic"), 1e-2),
}


def perturb(model, seed):
    rng = np.random.default_rng(seed)
    for v in model.weights:  # BN statistics too; MULLER's zero weights become non-zero
        scale = 0.3 if len(v.shape) == 0 else 0.05
        v.assign(v + rng.normal(0, scale, v.shape).astype("float32"))
        if "moving_variance" in v.path:
            v.assign(np.abs(v.numpy()) + 0.5)


def loss_gradients(model, x):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x, training=False) - 0.5))
    return {v.path: g.numpy() for v, g in zip(model.trainable_variables, tape.gradient(loss, model.trainable_variables))}


@pytest.fixture(scope="module")
def jax_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("backends")
    x = np.random.default_rng(3).random((2,) + IN_HW + (3,), dtype=np.float32)
    np.save(folder / "x.npy", x)
    models = {}
    for i, (name, (make, _)) in enumerate(CASES.items()):
        inputs = keras.Input(IN_HW + (3,))
        model = keras.Model(inputs, make()(inputs), name=name)
        perturb(model, i)
        model.save(folder / f"{name}.keras")
        models[name] = model
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": ROOT, "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "backend_worker.py"), str(folder)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    with open(folder / "report.json") as f:
        report = json.load(f)
    return folder, x, models, report


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_same_outputs_and_gradients_under_jax(jax_run, name):
    folder, x, models, _ = jax_run
    model, bound = models[name], CASES[name][1]
    theirs = np.load(folder / f"{name}.jax.npz")
    for training in ("eval", "train"):
        mine = model(x, training=training == "train").numpy()
        diff = np.abs(mine - theirs[training]).max()
        print(f"{name} training={training == 'train'}: max |TF - JAX| {diff:.2e}")  # seen with pytest -s
        # float32 rounding scales with the outputs' magnitude (training-mode BN can exceed 1)
        assert diff < bound * max(1.0, float(np.abs(mine).max())), (training, diff)
    for path, g in loss_gradients(model, x).items():
        scale = max(np.abs(g).max(), 1e-3)
        np.testing.assert_allclose(theirs["grad:" + path], g, atol=bound * 10 * scale, err_msg=path)


@pytest.mark.slow
def test_jax_side_needs_no_tensorflow_and_trains_the_builder(jax_run):
    report = jax_run[3]
    assert report["backend"] == "jax"
    assert not report["tensorflow_imported_by_resizer"]
    assert not report["tensorflow_imported_at_end"], "loading, calling or training pulled TensorFlow in"
    assert set(report["train_losses"]) == {"learned", "muller"}
    assert all(np.isfinite(v) for v in report["train_losses"].values())


def keys_cubic(t, a=-0.5):
    t = np.abs(t)
    return np.where(t <= 1, ((a + 2) * t - (a + 3)) * t * t + 1,
                    np.where(t < 2, ((a * t - 5 * a) * t + 8 * a) * t - 4 * a, 0.0))


def bicubic_1d(row, out, table=None):
    """Half-pixel-centred Keys cubic resize of a 1-D signal; out-of-range taps dropped and the
    rest renormalised (what both TF and JAX do); `table`: round the kernel offset to 1/table."""
    n, y = len(row), np.zeros(out)
    for o in range(out):
        centre = (o + 0.5) * n / out - 0.5
        first = np.floor(centre)
        frac = centre - first if table is None else np.round((centre - first) * table) / table
        taps = first + np.arange(-1, 3)
        w = np.where((taps >= 0) & (taps < n), keys_cubic(frac - np.arange(-1, 3)), 0.0)
        y[o] = (row[np.clip(taps, 0, n - 1).astype(int)] * w).sum() / w.sum()
    return y


def _jax_bicubic(x, out):
    """jax.image.resize(x, (1, 1, out, 1), "bicubic") computed in a subprocess (see the import note)."""
    code = ("import sys, json, numpy as np, jax; x = np.array(json.loads(sys.stdin.read()), np.float32); "
            f"print(json.dumps(np.asarray(jax.image.resize(x, (1, 1, {out}, 1), 'bicubic', antialias=False))"
            ".ravel().tolist()))")
    proc = subprocess.run([sys.executable, "-c", code], input=json.dumps(x.tolist()), capture_output=True, text=True,
                          env={**os.environ, "JAX_PLATFORMS": "cpu"}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return np.array(json.loads(proc.stdout.strip().splitlines()[-1]), np.float32)


@pytest.mark.parametrize("n,out", [(28, 24), (28, 17), (28, 50), (36, 20)])
def test_bicubic_difference_is_tfs_1024_entry_kernel_table(n, out):
    row = np.random.default_rng(n * out).random(n)
    x = row.reshape(1, 1, n, 1).astype(np.float32)
    tf_out = tf.image.resize(x, (1, out), "bicubic").numpy().ravel()
    jax_out = _jax_bicubic(x, out)
    np.testing.assert_allclose(tf_out, bicubic_1d(row, out, table=1024), atol=1e-6)
    np.testing.assert_allclose(jax_out, bicubic_1d(row, out), atol=1e-6)
    # An offset off by <= 1/2048 moves each of 4 weights by <= max|K'| / 2048 = (25/18) / 2048:
    # at most 4 * 6.8e-4 on a [0, 1] signal, per resized dimension.
    assert np.abs(tf_out - jax_out).max() <= 4 * (25 / 18) / 2048
