"""Top-k error, PLCC and SRCC: whole-set values checked against NumPy/SciPy, eagerly, in
graph mode, inside Keras' evaluate and under a 2-replica MirroredStrategy."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from resizer import metrics

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RNG = np.random.default_rng(1)
BINS = np.arange(1, 11)


def histograms(n):
    h = RNG.random((n, 10)) ** 2
    return (h / h.sum(axis=1, keepdims=True)).astype("float32")


def numpy_topk_error(labels, logits, k):
    top = np.argsort(-logits, axis=1)[:, :k]
    return 100.0 * np.mean([label not in row for label, row in zip(labels, top)])


@pytest.mark.parametrize("k", [1, 5])
def test_topk_error_in_percent_over_batches(k):
    logits = RNG.normal(size=(90, 20)).astype("float32")
    labels = RNG.integers(0, 20, 90)
    metric = metrics.TopKError(k)
    for i in range(0, 90, 32):
        metric.update_state(labels[i:i + 32], logits[i:i + 32])
    assert metric.name == f"top{k}_error"
    assert float(metric.result()) == pytest.approx(numpy_topk_error(labels, logits, k), abs=1e-4)


def test_plcc_and_srcc_over_the_whole_set_match_scipy():
    targets, preds = histograms(200), histograms(200)
    targets[:20] = targets[0]  # tied ground-truth means, as AVA has
    plcc, srcc = metrics.PLCC(), metrics.SRCC(capacity=512)
    per_batch = []
    for i in range(0, 200, 50):
        plcc.update_state(targets[i:i + 50], preds[i:i + 50])
        srcc.update_state(targets[i:i + 50], preds[i:i + 50])
        per_batch.append(scipy.stats.spearmanr(preds[i:i + 50] @ BINS, targets[i:i + 50] @ BINS)[0])
    x, y = preds @ BINS, targets @ BINS
    expected_srcc = scipy.stats.spearmanr(x, y)[0]
    assert float(plcc.result()) == pytest.approx(scipy.stats.pearsonr(x, y)[0], abs=1e-5)
    assert float(srcc.result()) == pytest.approx(expected_srcc, abs=1e-5)
    assert abs(np.mean(per_batch) - expected_srcc) > 1e-4  # a per-batch average would be caught
    assert float(tf.function(srcc.result)()) == pytest.approx(expected_srcc, abs=1e-5)
    assert float(tf.function(plcc.result)()) == pytest.approx(float(plcc.result()), abs=1e-6)
    srcc.reset_state()
    plcc.reset_state()
    assert float(srcc.result()) == 0.0 and float(plcc.result()) == 0.0


def test_average_ranks_match_scipy_rankdata_with_ties():
    values = np.array([3.0, 1.0, 3.0, 2.0, 3.0, 1.0])
    np.testing.assert_allclose(metrics.average_ranks(tf.constant(values)).numpy(), scipy.stats.rankdata(values))


def test_srcc_capacity_overflow_is_a_clear_error():
    srcc = metrics.SRCC(capacity=8)
    srcc.update_state(histograms(6), histograms(6))
    with pytest.raises(tf.errors.InvalidArgumentError, match="capacity"):
        srcc.update_state(histograms(6), histograms(6))


def test_metrics_inside_keras_evaluate():
    import keras

    inputs = keras.Input((10,))
    model = keras.Model(inputs, keras.layers.Softmax()(keras.layers.Dense(10)(inputs)))
    model.compile(loss="mse", metrics=[metrics.PLCC(), metrics.SRCC(capacity=256)])
    features, targets = RNG.normal(size=(100, 10)).astype("float32"), histograms(100)
    logs = model.evaluate(features, targets, batch_size=16, verbose=0, return_dict=True)
    x, y = model.predict(features, verbose=0) @ BINS, targets @ BINS
    assert logs["plcc"] == pytest.approx(scipy.stats.pearsonr(x, y)[0], abs=1e-4)
    assert logs["srcc"] == pytest.approx(scipy.stats.spearmanr(x, y)[0], abs=1e-4)


DISTRIBUTED = textwrap.dedent("""
    import json, sys
    import numpy as np, scipy.stats, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from resizer import metrics
    rng = np.random.default_rng(2)
    h = rng.random((2, 120, 10)); h /= h.sum(-1, keepdims=True)
    targets, preds = h.astype("float32")
    logits = rng.normal(size=(120, 30)).astype("float32"); labels = rng.integers(0, 30, 120)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        ms = [metrics.PLCC(), metrics.SRCC(capacity=100), metrics.TopKError(5)]
    data = tf.data.Dataset.from_tensor_slices((targets, preds, labels, logits)).batch(24)
    @tf.function
    def step(t, p, l, z):
        def update(t, p, l, z):
            ms[0].update_state(t, p); ms[1].update_state(t, p); ms[2].update_state(l, z)
        strategy.run(update, args=(t, p, l, z))
    for batch in strategy.experimental_distribute_dataset(data):
        step(*batch)
    x, y = preds @ np.arange(1, 11), targets @ np.arange(1, 11)
    top = np.argsort(-logits, 1)[:, :5]
    print(json.dumps({"plcc": [float(ms[0].result()), scipy.stats.pearsonr(x, y)[0]],
                      "srcc": [float(ms[1].result()), scipy.stats.spearmanr(x, y)[0]],
                      "top5": [float(ms[2].result()), 100 * np.mean([a not in b for a, b in zip(labels, top)])],
                      "replicas": strategy.num_replicas_in_sync,
                      "counts": ms[1].counts.numpy().tolist()}))
""")


def test_metrics_under_mirrored_strategy_with_two_replicas():
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2")
    out = subprocess.run([sys.executable, "-c", DISTRIBUTED], capture_output=True, text=True, env=env, timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    import json

    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert result["counts"] == [60.0, 60.0]  # both replicas kept their halves (capacity 100 < 120)
    for name in ("plcc", "srcc", "top5"):
        got, expected = result[name]
        assert got == pytest.approx(expected, abs=1e-4), name
