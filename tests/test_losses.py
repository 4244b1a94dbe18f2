"""Eq. 1 (label-smoothed cross-entropy) and Eq. 2 (EMD, r = 2) against NumPy references."""

import numpy as np
import pytest
import tensorflow as tf

from resizer import losses

RNG = np.random.default_rng(0)


def histograms(n, k=10):
    h = RNG.random((n, k)) ** 3
    return (h / h.sum(axis=1, keepdims=True)).astype("float32")


def numpy_emd(p, q, r=2.0):
    """Per-sample (mean_k |CDF(p)_k - CDF(q)_k|^r)^(1/r), then the batch mean."""
    d = np.abs(np.cumsum(p, axis=1) - np.cumsum(q, axis=1))
    return np.mean(np.mean(d ** r, axis=1) ** (1.0 / r))


def test_emd_matches_per_sample_numpy_reference():
    p, q = histograms(64), histograms(64)
    got = float(losses.EMDLoss()(q, p))
    assert got == pytest.approx(numpy_emd(p, q), rel=1e-5)
    # The known bug (root over the whole batch) gives a different number on these data.
    d = np.abs(np.cumsum(p, 1) - np.cumsum(q, 1))
    assert got != pytest.approx(np.sqrt(np.mean(d ** 2)), rel=1e-3)


def test_emd_other_exponent_and_per_sample_values():
    p, q = histograms(8), histograms(8)
    assert float(losses.EMDLoss(r=1.0)(q, p)) == pytest.approx(numpy_emd(p, q, 1.0), rel=1e-5)
    per_sample = losses.emd(q, p).numpy()
    assert per_sample.shape == (8,)
    assert per_sample[3] == pytest.approx(numpy_emd(p[3:4], q[3:4]), rel=1e-5)


def test_emd_of_identical_histograms_is_zero_with_finite_gradient():
    q = tf.constant(histograms(4))
    p = tf.Variable(q)
    with tf.GradientTape() as tape:
        value = losses.EMDLoss()(q, p)
    grad = tape.gradient(value, p)
    assert float(value) == pytest.approx(0.0, abs=1e-5)
    assert np.all(np.isfinite(grad.numpy()))


def test_mean_score_is_sum_of_k_times_p():
    p = histograms(5)
    np.testing.assert_allclose(losses.mean_score(p).numpy(), p @ np.arange(1, 11), rtol=1e-6)
    assert float(losses.mean_score(np.eye(10, dtype="float32")[[9]])[0]) == 10.0


def numpy_smoothed_softmax_ce(labels, logits, eps=0.1):
    k = logits.shape[1]
    q = np.eye(k)[labels] * (1 - eps) + eps / k
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return np.mean(-(q * log_p).sum(axis=1))


def test_smoothed_cross_entropy_is_eq1():
    logits = RNG.normal(size=(16, 7)).astype("float32")
    labels = RNG.integers(0, 7, 16)
    assert float(losses.SmoothedCrossEntropy()(labels, logits)) == pytest.approx(
        numpy_smoothed_softmax_ce(labels, logits), rel=1e-5)
    # Labels as (batch, 1), as Keras sometimes passes them, give the same loss.
    assert float(losses.SmoothedCrossEntropy()(labels[:, None], logits)) == pytest.approx(
        numpy_smoothed_softmax_ce(labels, logits), rel=1e-5)


def test_zero_smoothing_is_plain_sparse_cross_entropy():
    logits = RNG.normal(size=(16, 7)).astype("float32")
    labels = RNG.integers(0, 7, 16)
    plain = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)
    assert float(losses.SmoothedCrossEntropy(label_smoothing=0.0)(labels, logits)) == pytest.approx(
        float(plain), rel=1e-5)


def test_sigmoid_option_sums_binary_cross_entropy_over_classes():
    logits = RNG.normal(size=(4, 5)).astype("float32")
    labels = np.array([0, 4, 2, 2])
    q = np.eye(5)[labels] * 0.9 + 0.1 / 5
    s = 1 / (1 + np.exp(-logits))
    expected = np.mean(-(q * np.log(s) + (1 - q) * np.log(1 - s)).sum(axis=1))
    got = float(losses.SmoothedCrossEntropy(kind="sigmoid")(labels, logits))
    assert got == pytest.approx(expected, rel=1e-5)


def test_for_task_and_bad_arguments():
    assert isinstance(losses.for_task("classification"), losses.SmoothedCrossEntropy)
    assert losses.for_task("classification").label_smoothing == 0.1
    assert losses.for_task("classification", classification_loss="sigmoid").kind == "sigmoid"
    assert isinstance(losses.for_task("iqa"), losses.EMDLoss) and losses.for_task("iqa").r == 2.0
    with pytest.raises(ValueError, match="softmax"):
        losses.SmoothedCrossEntropy(kind="hinge")
    with pytest.raises(ValueError, match="task"):
        losses.for_task("detection")
    with pytest.raises(ValueError, match="r must be"):
        losses.EMDLoss(r=0)
