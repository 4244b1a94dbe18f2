"""The Table 9 distortions: names, sizes, statistics and determinism."""

import numpy as np
import pytest
import tensorflow as tf

from resizer.data import distortions, testing

SEED = tf.constant([1, 2], tf.int64)


def _photo(size=64):
    return tf.constant(testing.photo(size, size, np.random.default_rng(0)), tf.float32) / 255.0


def test_names_match_table9():
    import resizer.paper

    names = {row["distortion"] for row in resizer.paper.load(9)}
    assert names == set(distortions.names())
    assert distortions.canonical("gaussian_noise") == "gaussian_noise_0.1"
    assert distortions.canonical("jpeg") == "jpeg_q10"
    assert distortions.canonical(None) is None and distortions.canonical("none") is None
    with pytest.raises(ValueError, match="Unknown distortion 'noise'"):
        distortions.canonical("noise")


def test_model_input_size():
    assert [distortions.input_size("downscale4x", s) for s in (224, 256, 320, 368, 448)] == [56, 64, 80, 92, 112]
    assert distortions.input_size("jpeg_q10", 224) == 224 and distortions.input_size(None, 224) == 224
    with pytest.raises(ValueError, match="divisible by 4"):
        distortions.input_size("downscale4x", 226)


def test_downscale_averages_4x4_blocks():
    image = _photo()
    small = distortions.apply(image, "downscale4x", SEED)
    assert small.shape == (16, 16, 3)
    blocks = tf.nn.avg_pool2d(image[None], 4, 4, "VALID")[0]
    assert float(tf.reduce_mean(tf.abs(small - blocks))) < 0.03
    flat = distortions.apply(tf.fill((32, 32, 3), 0.25), "downscale4x", SEED)
    np.testing.assert_allclose(flat.numpy(), 0.25, atol=1e-6)


def test_gaussian_noise_statistics_and_seed():
    gray = tf.fill((256, 256, 3), 0.5)
    noisy = distortions.apply(gray, "gaussian_noise_0.1", SEED)
    residual = (noisy - gray).numpy()
    assert abs(residual.std() - 0.1) < 0.003 and abs(residual.mean()) < 0.003
    np.testing.assert_array_equal(noisy.numpy(), distortions.apply(gray, "gaussian_noise_0.1", SEED).numpy())
    assert not np.array_equal(noisy.numpy(), distortions.apply(gray, "gaussian_noise_0.1", SEED + 1).numpy())
    black = distortions.apply(tf.zeros((64, 64, 3)), "gaussian_noise_0.1", SEED).numpy()
    assert black.min() == 0.0 and 0.03 < black.mean() < 0.05  # clipped: E[max(0, N(0, 0.1))] = 0.04


def test_jpeg_quality_10_is_lossy_and_deterministic():
    image = _photo()
    coded = distortions.apply(image, "jpeg_q10", SEED)
    assert coded.shape == image.shape
    error_q10 = float(tf.reduce_mean(tf.abs(coded - image)))
    error_q90 = float(tf.reduce_mean(tf.abs(tf.image.adjust_jpeg_quality(image, 90) - image)))
    assert error_q10 > 2 * error_q90 and error_q10 > 0.03
    np.testing.assert_array_equal(coded.numpy(), distortions.apply(image, "jpeg_q10", SEED + 5).numpy())


def test_no_distortion_is_the_identity():
    image = _photo()
    assert distortions.apply(image, None, SEED) is image
