"""The distortions of Table 9 (following Liu et al. 2019, the paper's reference [20]).

Each applies to one pre-resized float image in [0, 1] and returns one in [0, 1]:
  downscale4x: the image shrunk 4x (bicubic with antialiasing, as super-resolution
    benchmarks make low-resolution inputs). The model then gets an input_size/4 image:
    the learned resizer up-scales it 4x back, a fixed resize up-scales it by interpolation.
    `input_size(distortion, size)` tells the model builder that size.
  gaussian_noise_0.1: additive N(0, 0.1^2) noise on the [0, 1] range, clipped.
  jpeg_q10: re-encoded as JPEG at quality 10.
Random ones are stateless: the same seed gives the same noise.
"""

from __future__ import annotations

import tensorflow as tf

NAMES = ("downscale4x", "gaussian_noise_0.1", "jpeg_q10")
_ALIASES = {"gaussian_noise": "gaussian_noise_0.1", "jpeg": "jpeg_q10"}
DOWNSCALE = 4
NOISE_STDDEV = 0.1
JPEG_QUALITY = 10


def canonical(distortion):
    """The Table 9 name of a distortion, or None for none ("", "none", None)."""
    if distortion in (None, "", "none"):
        return None
    name = _ALIASES.get(distortion, distortion)
    if name not in NAMES:
        raise ValueError(f"Unknown distortion {distortion!r}; expected one of {', '.join(NAMES)} "
                         "(or none).")
    return name


def input_size(distortion, size):
    """The side of the images the model receives when the pipeline pre-resizes to `size`."""
    if canonical(distortion) != "downscale4x":
        return size
    if size % DOWNSCALE:
        raise ValueError(f"downscale4x needs an input size divisible by {DOWNSCALE}, got {size}.")
    return size // DOWNSCALE


def apply(image, distortion, seed):
    """One (H, W, 3) float32 image in [0, 1], distorted; `seed` is a stateless seed (shape [2])."""
    name = canonical(distortion)
    if name is None:
        return image
    if name == "downscale4x":
        height, width = image.shape[0], image.shape[1]
        if height is None or width is None:  # keep static shapes static: batches need them
            height, width = tf.unstack(tf.shape(image)[:2])
        small = (height // DOWNSCALE, width // DOWNSCALE)
        image = tf.image.resize(image, small, method="bicubic", antialias=True)
    elif name == "gaussian_noise_0.1":
        image = image + NOISE_STDDEV * tf.random.stateless_normal(tf.shape(image), seed=seed)
    else:
        image = tf.image.adjust_jpeg_quality(image, JPEG_QUALITY)
    return tf.clip_by_value(image, 0.0, 1.0)
