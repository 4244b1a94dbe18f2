"""MULLER, the Multilayer Laplacian Resizer (Tu, Talebi, Zhang, Yang, Milanfar, Bovik, Li,
ICCV 2023), written from the paper's definition:

    out = resize(x)
    for l in 1..L:          (L = num_layers, default 2)
        b = G(x)            separable Gaussian blur, per channel, zero ("SAME") padding
        d = b - x           a band of the Laplacian pyramid (detail at scale l, negated)
        out += tanh(w_l * resize(d) + c_l)
        x = b

with 2L scalar weights w_l, c_l, all initialised to 0, so the untrained layer is exactly the
plain resize (tanh(0) = 0). Only `keras.ops` is used: it runs on every Keras backend.
"""

from __future__ import annotations

import numpy as np
import keras
from keras import ops

from resizer.layers import ImageResizerLayer, _positive_int, normalize_size


def gaussian_taps(kernel_size=5, sigma=1.0):
    """The 1-D blur kernel: exp(-k^2 / 2 sigma^2) for k = -(size // 2) .. size // 2, summing to 1."""
    k = np.arange(kernel_size, dtype=np.float64) - kernel_size // 2
    taps = np.exp(-0.5 * (k / sigma) ** 2)
    return taps / taps.sum()


@keras.saving.register_keras_serializable(package="resizer")
class MullerResizer(ImageResizerLayer):
    """MULLER: a plain resize plus L learned, tanh-squashed Laplacian bands (see module doc).

    Args:
      output_size: (height, width) of the output, or one int for a square.
      num_layers: L, the Laplacian bands added (paper default 2); 2L trainable scalars.
      interpolation: the method of every resize (resizer.layers.INTERPOLATIONS; `area`
        is refused, having no gradient on TensorFlow).
      antialias: passed to the resize; off by default.
      kernel_size, sigma: the Gaussian blur (paper: 5 taps, sigma 1.0).

    Input: float images (batch, H, W, C), any C (each channel is blurred by itself); H and W
    may change from call to call. Output: (batch, height, width, C) in the compute dtype.
    """

    def __init__(self, output_size, num_layers=2, interpolation="bilinear", antialias=False, kernel_size=5,
                 sigma=1.0, **kwargs):
        super().__init__(output_size, interpolation, antialias, **kwargs)
        self.num_layers = _positive_int(num_layers, "num_layers")
        if _positive_int(kernel_size, "kernel_size") % 2 == 0:
            raise ValueError(f"kernel_size must be an odd int >= 1 (a centred blur), got {kernel_size!r}.")
        if not isinstance(sigma, (int, float)) or isinstance(sigma, bool) or not sigma > 0:
            raise ValueError(f"sigma must be a number > 0, got {sigma!r}.")
        self.kernel_size = kernel_size
        self.sigma = float(sigma)

    def build(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) != 4 or shape[-1] is None:
            raise ValueError(f"MullerResizer expects images of rank 4 (batch, height, width, channels) with a "
                             f"known channel count, got shape {shape}.")
        self.channels = int(shape[-1])
        # depthwise kernels (kh, kw, channels, 1): a column pass, then a row pass; constants, made once
        column = np.tile(gaussian_taps(self.kernel_size, self.sigma).reshape(-1, 1, 1, 1), (1, 1, self.channels, 1))
        self._blur_kernels = (column, column.reshape(1, -1, self.channels, 1))
        # One attribute per variable, as LearnedResizer's blocks: tf.train.Checkpoint does not
        # look inside a plain list attribute of a Keras 3 layer.
        for i in range(1, self.num_layers + 1):
            setattr(self, f"weight_{i}", self.add_weight(name=f"weight_{i}", shape=(), initializer="zeros"))
            setattr(self, f"bias_{i}", self.add_weight(name=f"bias_{i}", shape=(), initializer="zeros"))
        self.built = True

    @property
    def bands(self):
        """(w_l, c_l) for l = 1..L, in the order the bands are added."""
        return [(getattr(self, f"weight_{i}"), getattr(self, f"bias_{i}")) for i in range(1, self.num_layers + 1)]

    def blur(self, x):
        """G: the separable Gaussian blur of every channel by itself, zero padding (SAME)."""
        column, row = self._blur_kernels
        x = ops.depthwise_conv(x, ops.convert_to_tensor(column, dtype=x.dtype), padding="same",
                               data_format="channels_last")
        return ops.depthwise_conv(x, ops.convert_to_tensor(row, dtype=x.dtype), padding="same",
                                  data_format="channels_last")

    def call(self, x):
        self._check_input(x)
        resize = self.resize
        out = resize(x)
        for weight, bias in self.bands:
            blurred = self.blur(x)
            band = resize(blurred - x)
            out = out + ops.tanh(ops.cast(weight, x.dtype) * band + ops.cast(bias, x.dtype))
            x = blurred
        return out

    def get_config(self):
        return {**super().get_config(), "num_layers": self.num_layers, "kernel_size": self.kernel_size,
                "sigma": self.sigma}


def muller_flops(input_size, channels=3, num_layers=2, kernel_size=5):
    """Forward FLOPs per image of MULLER's blurs (2 per multiply-add, as resizer.flops counts
    DepthwiseConv2dNative): two depthwise passes of kernel_size taps per band at the input
    size. Resizes, tanh and adds count zero there, as they do for the learned resizer."""
    height, width = normalize_size(input_size, "input_size")
    return 2 * 2 * kernel_size * height * width * channels * num_layers
