"""The learned resizer of Talebi & Milanfar (ICCV 2021), Section 3.1 and Figure 3.

x -> 7x7 conv(n) -> LeakyReLU -> 1x1 conv(n) -> LeakyReLU -> BN -> feature resize ->
r chained residual blocks -> 3x3 conv(n) -> BN -> (+ resized features) -> 7x7 conv(C)
-> (+ plain resize of x).

The layer works in image space: its input is an image batch (floats, [0, 1] in this
project) and its output is an image of the requested size. The output is *not* bounded
to [0, 1]; the paper applies no pixel loss to it.

Only `keras.ops` and Keras layers are used, so the layers run on every Keras backend
(tested: TensorFlow and JAX; torch untested). TensorFlow is imported only for the two
methods that only `tf.image.resize` has (TF_ONLY_INTERPOLATIONS).
"""

from __future__ import annotations

import math

import keras
from keras import ops

from resizer import interpolation as interpolation_lib

# Resize methods that have a gradient (`area` has none in TF: a resizer on it would silently stop learning).
INTERPOLATIONS = interpolation_lib.DIFFERENTIABLE
# keras.ops.image.resize has no such method on any backend (Keras 3.15); tf.image.resize has.
TF_ONLY_INTERPOLATIONS = ("mitchellcubic", "gaussian")
# What keras.ops.image.resize lacks on a backend beyond those (its torch backend has no lanczos).
_BACKEND_MISSING = {"torch": ("lanczos3", "lanczos5")}

_LEAK = 0.2  # LeakyReLU negative slope, Section 3.1


def check_interpolation(interpolation, backend=None):
    """Raises ValueError for a method the resizer cannot train with (unknown, or `area`),
    or one the Keras backend (default: the active one) cannot resize with."""
    interpolation_lib.check(interpolation, differentiable=True)
    backend = backend or keras.backend.backend()
    missing = _BACKEND_MISSING.get(backend, ()) + (TF_ONLY_INTERPOLATIONS if backend != "tensorflow" else ())
    if interpolation in missing:
        usable = ", ".join(m for m in INTERPOLATIONS if m not in missing)
        raise ValueError(f"interpolation={interpolation!r} needs the TensorFlow Keras backend (KERAS_BACKEND="
                         f"tensorflow); the {backend} backend has no such resize. Use one of {usable}.")


def normalize_size(output_size, name="output_size"):
    """Returns `output_size` as a (height, width) tuple of positive ints, or raises ValueError."""
    if isinstance(output_size, int) and not isinstance(output_size, bool):
        output_size = (output_size, output_size)
    try:
        size = tuple(output_size)
    except TypeError:
        size = ()
    if len(size) != 2 or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size):
        raise ValueError(f"{name} must be two positive ints (height, width), got {output_size!r}.")
    return size


def check_float_images(inputs, who):
    """Raises ValueError unless `inputs` (any backend's tensor or an array) has a float dtype."""
    dtype = getattr(inputs, "dtype", None)
    if dtype is not None and not keras.backend.is_float_dtype(dtype):
        raise ValueError(f"{who} expects float images, got dtype {keras.backend.standardize_dtype(dtype)}; "
                         "convert first, e.g. keras.ops.cast(images, 'float32') / 255.")


def _positive_int(value, name):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}.")
    return value


def resize_images(images, size, interpolation="bilinear", antialias=False):
    """keras.ops.image.resize of channels-last images (tf.image.resize on TensorFlow) that
    keeps the input's float dtype (TF returns float32 otherwise)."""
    check_interpolation(interpolation)
    if interpolation in TF_ONLY_INTERPOLATIONS:
        import tensorflow as tf  # check_interpolation let it through: the backend is TensorFlow

        resized = tf.image.resize(images, size, method=interpolation, antialias=antialias)
    else:
        resized = ops.image.resize(images, tuple(size), interpolation=interpolation, antialias=antialias,
                                   data_format="channels_last")
    return ops.cast(resized, images.dtype)


class RemapperSafeLeakyReLU(keras.layers.LeakyReLU):
    """LeakyReLU that, on TensorFlow, is written max(slope * x, x): the same numbers forward
    and backward (slope in [0, 1]; the gradient at x = 0 is slope * g, as LeakyReluGrad's),
    but not the LeakyRelu op. With oneDNN, grappler's remapper fuses Conv2D + BiasAdd +
    LeakyRelu although LeakyReluGrad still reads the BiasAdd output, then aborts the whole
    pass for the graph ("remapper failed: INVALID_ARGUMENT: Mutation::Apply error: fanout
    '.../LeakyReluGrad' exist for missing node '.../BiasAdd'"), losing the backbone's fusions too.
    """

    def call(self, inputs):
        if keras.backend.backend() != "tensorflow":
            return super().call(inputs)
        return ops.maximum(ops.multiply(inputs, self.negative_slope), inputs)


@keras.saving.register_keras_serializable(package="resizer")
class ResidualBlock(keras.layers.Layer):
    """3x3 conv -> BN -> LeakyReLU -> 3x3 conv -> BN, plus the identity (Figure 3)."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = _positive_int(filters, "filters")
        self.conv_a = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name="conv_a")
        self.bn_a = keras.layers.BatchNormalization(name="bn_a")
        self.act = RemapperSafeLeakyReLU(negative_slope=_LEAK, name="leaky_relu")
        self.conv_b = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name="conv_b")
        self.bn_b = keras.layers.BatchNormalization(name="bn_b")

    def build(self, input_shape):
        shape = tuple(input_shape)
        self.conv_a.build(shape)
        self.bn_a.build(shape[:-1] + (self.filters,))
        self.conv_b.build(shape[:-1] + (self.filters,))
        self.bn_b.build(shape[:-1] + (self.filters,))
        self.built = True

    def call(self, x, training=None):
        y = self.act(self.bn_a(self.conv_a(x), training=training))
        y = self.bn_b(self.conv_b(y), training=training)
        return x + y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


class ImageResizerLayer(keras.layers.Layer):
    """What a trainable resizer layer shares: float images of rank 4 in, `output_size` out, the
    channel count fixed at build, and its resize (`interpolation`, `antialias`) of any tensor."""

    def __init__(self, output_size, interpolation="bilinear", antialias=False, **kwargs):
        super().__init__(**kwargs)
        self.output_size = normalize_size(output_size)
        check_interpolation(interpolation)
        self.interpolation = interpolation
        self.antialias = bool(antialias)
        self.channels = None

    def resize(self, t):
        return resize_images(t, self.output_size, self.interpolation, self.antialias)

    def _check_input(self, x):
        name = type(self).__name__
        if len(x.shape) != 4:
            raise ValueError(f"{name} expects images of rank 4 (batch, height, width, channels), "
                             f"got shape {tuple(x.shape)}.")
        if x.shape[-1] != self.channels:
            raise ValueError(f"{name} was built for {self.channels} channels, got {x.shape[-1]} "
                             f"in shape {tuple(x.shape)}.")

    def __call__(self, inputs, *args, **kwargs):
        check_float_images(inputs, type(self).__name__)
        return super().__call__(inputs, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.output_size + (input_shape[-1],)

    def get_config(self):
        return {**super().get_config(), "output_size": list(self.output_size), "interpolation": self.interpolation,
                "antialias": self.antialias}


@keras.saving.register_keras_serializable(package="resizer")
class LearnedResizer(ImageResizerLayer):
    """The learned image resizer of Figure 3.

    Args:
      output_size: (height, width) of the output, or one int for a square. Any size:
        down-scaling, up-scaling (Table 9 up-scales 4x) and aspect-ratio changes.
      filters: n, the filters of every intermediate conv (paper default 16).
      num_res_blocks: r, the number of chained residual blocks (paper default 1).
      interpolation: the method of both the feature resize and the image skip resize
        (INTERPOLATIONS; `area` is refused because it has no gradient; mitchellcubic and
        gaussian need the TensorFlow backend, lanczos is not on torch).
      antialias: passed to the resize; off by default, as the paper's TF resize.
      zero_init_last: start the last 7x7 conv at zero, so that the untrained layer is
        exactly the plain resize of its input.

    Input: float images (batch, H, W, C) with C = 3 unless built otherwise; H and W may
    change from call to call. Output: (batch, height, width, C) in the layer's compute
    dtype (float16 under the `mixed_float16` policy, float32 otherwise).
    """

    def __init__(self, output_size, filters=16, num_res_blocks=1, interpolation="bilinear",
                 antialias=False, zero_init_last=False, **kwargs):
        super().__init__(output_size, interpolation, antialias, **kwargs)
        self.filters = _positive_int(filters, "filters")
        self.num_res_blocks = _positive_int(num_res_blocks, "num_res_blocks")
        self.zero_init_last = bool(zero_init_last)

        n = self.filters
        self.conv_in = keras.layers.Conv2D(n, 7, padding="same", name="conv_in_7x7")
        self.act_in = RemapperSafeLeakyReLU(negative_slope=_LEAK, name="leaky_relu_in")
        self.conv_1x1 = keras.layers.Conv2D(n, 1, padding="same", name="conv_1x1")
        self.act_1x1 = RemapperSafeLeakyReLU(negative_slope=_LEAK, name="leaky_relu_1x1")
        self.bn_in = keras.layers.BatchNormalization(name="bn_in")
        # One attribute per block: tf.train.Checkpoint does not look inside a plain list
        # attribute of a Keras 3 layer, and would silently skip the blocks' variables.
        for i in range(self.num_res_blocks):
            setattr(self, f"res_block_{i + 1}", ResidualBlock(n, name=f"res_block_{i + 1}"))
        self.conv_proj = keras.layers.Conv2D(n, 3, padding="same", use_bias=False, name="conv_proj_3x3")
        self.bn_proj = keras.layers.BatchNormalization(name="bn_proj")
        self.conv_out = None  # needs the channel count, made in build()

    @property
    def res_blocks(self):
        """The residual blocks, in the order they are chained."""
        return [getattr(self, f"res_block_{i + 1}") for i in range(self.num_res_blocks)]

    def build(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) != 4:
            raise ValueError(f"LearnedResizer expects images of rank 4 (batch, height, width, channels), "
                             f"got shape {shape}.")
        if shape[-1] != 3:
            raise ValueError(f"LearnedResizer expects 3 (RGB) channels, got {shape[-1]} in shape {shape}.")
        self.channels = int(shape[-1])
        zero = "zeros" if self.zero_init_last else "glorot_uniform"
        self.conv_out = keras.layers.Conv2D(self.channels, 7, padding="same", kernel_initializer=zero,
                                            name="conv_out_7x7")
        n = self.filters
        feat = shape[:-1] + (n,)
        out = (shape[0],) + self.output_size + (n,)
        self.conv_in.build(shape)
        self.conv_1x1.build(feat)
        self.bn_in.build(feat)
        for block in self.res_blocks:
            block.build(out)
        self.conv_proj.build(out)
        self.bn_proj.build(out)
        self.conv_out.build(out)
        self.built = True

    def call(self, x, training=None):
        self._check_input(x)
        resize = self.resize
        y = self.act_in(self.conv_in(x))
        y = self.act_1x1(self.conv_1x1(y))
        y = self.bn_in(y, training=training)
        features = resize(y)
        y = features
        for block in self.res_blocks:  # chained: each block takes the previous block's output
            y = block(y, training=training)
        y = self.bn_proj(self.conv_proj(y), training=training)
        y = self.conv_out(y + features)
        return y + resize(x)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "num_res_blocks": self.num_res_blocks,
                "zero_init_last": self.zero_init_last}


def count_conv_weights(layer):
    """Convolution kernel weights of a layer, biases and BN excluded: the convention of Table 2."""
    if not layer.built:
        raise ValueError(f"{layer.name} is not built yet: call it on an image batch (or .build()) first.")
    return sum(math.prod(l.kernel.shape) for l in _conv_layers(layer))


def _conv_layers(layer):
    for sub in layer._flatten_layers(include_self=True, recursive=True):
        if isinstance(sub, keras.layers.Conv2D):
            yield sub
