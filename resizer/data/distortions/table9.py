"""The distortions of Table 9, following Liu et al. 2019 (the paper's reference [20]).

  downscale4x: the image shrunk 4x (bicubic with antialiasing, as super-resolution
    benchmarks make low-resolution inputs); the learned resizer up-scales it 4x back.
  gaussian_noise_0.1: additive N(0, 0.1^2) noise on the [0, 1] range, clipped.
  jpeg_q10: re-encoded as JPEG at quality 10.
"""

from resizer.data.distortions import Distortion, register_distortion

DOWNSCALE = 4
NOISE_STDDEV = 0.1
JPEG_QUALITY = 10


def _downscale(image, seed):
    import tensorflow as tf

    height, width = image.shape[0], image.shape[1]
    if height is None or width is None:  # keep static shapes static: batches need them
        height, width = tf.unstack(tf.shape(image)[:2])
    return tf.image.resize(image, (height // DOWNSCALE, width // DOWNSCALE), method="bicubic", antialias=True)


def _noise(image, seed):
    import tensorflow as tf

    return image + NOISE_STDDEV * tf.random.stateless_normal(tf.shape(image), seed=seed)


def _jpeg(image, seed):
    import tensorflow as tf

    return tf.image.adjust_jpeg_quality(image, JPEG_QUALITY)


register_distortion(Distortion("downscale4x", _downscale, downscale=DOWNSCALE,
                               description="4x bicubic antialiased down-scaling", label="down-scaled 4x"))
register_distortion(Distortion("gaussian_noise_0.1", _noise, aliases=("gaussian_noise",),
                               description="additive Gaussian noise, sigma 0.1", label="Gaussian noise 0.1"))
register_distortion(Distortion("jpeg_q10", _jpeg, aliases=("jpeg",), description="JPEG quality 10",
                               label="JPEG q=10"))
