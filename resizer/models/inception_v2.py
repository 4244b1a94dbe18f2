"""Inception-v2 (BN-Inception as in TF-slim `nets/inception_v2.py`), the paper's [34] baseline.

Layout, as slim builds it with its default arguments (depth_multiplier 1, separable stem):
  Conv2d_1a_7x7 (separable 7x7/2, depthwise multiplier 8) -> MaxPool_2a_3x3/2
  -> Conv2d_2b_1x1 -> Conv2d_2c_3x3 -> MaxPool_3a_3x3/2
  -> Mixed_3b, Mixed_3c -> Mixed_4a (reduction) -> Mixed_4b .. Mixed_4e
  -> Mixed_5a (reduction) -> Mixed_5b, Mixed_5c -> average pool.
Inception blocks use two 3x3 convs in place of the 5x5; pool branches average-pool
(3x3/1, SAME, padding not counted) except Mixed_5c, which max-pools. Every conv is
conv (no bias) -> BatchNorm (scale=False, momentum 0.9997, epsilon 0.001) -> ReLU, except
the stem: slim's arg scope gives batch norm to `conv2d` only, so `Conv2d_1a_7x7`
(`separable_conv2d`, whose defaults are biases and a ReLU) is separable conv + bias -> ReLU.
The classifier (slim's Logits scope: dropout keep 0.8, 1x1 conv with bias) is the
`head_dropout` + `logits` of `resizer.models.build`; a 1x1 conv on a pooled 1x1 map is a
dense layer. Slim pools with a fixed 7x7 VALID window, which equals global average pooling
at 224 px; global pooling is used here so that the network also runs at 256-448 px.

Layer names are slim's variable scopes with "/" written "_" (Keras forbids "/" in names):
`Mixed_3b/Branch_1/Conv2d_0a_1x1` is the conv `Mixed_3b_Branch_1_Conv2d_0a_1x1`, its BN
`Mixed_3b_Branch_1_Conv2d_0a_1x1_BatchNorm`. `resizer.models.inception_v2_slim` loads a
slim checkpoint by these names; tests/test_slim_parity.py compares the logits with those of
slim's own network.
"""

from __future__ import annotations

import keras

BN_MOMENTUM = 0.9997
BN_EPSILON = 0.001
STEM = "Conv2d_1a_7x7"  # separable, biases, no batch norm (see the module doc)
STEM_DEPTHWISE_MULTIPLIER = 8  # slim: min(int(64 / 3), 8)

# Inception blocks: (name, [branch, ...]); a branch is a list of steps applied in order:
# ("conv", scope, filters, kernel, stride) or ("avg"|"max", scope, stride).
def _block(b0, b1, b2, pool_filters, pool="avg"):
    return [
        [("conv", "Branch_0/Conv2d_0a_1x1", b0, 1, 1)],
        [("conv", "Branch_1/Conv2d_0a_1x1", b1[0], 1, 1), ("conv", "Branch_1/Conv2d_0b_3x3", b1[1], 3, 1)],
        [("conv", "Branch_2/Conv2d_0a_1x1", b2[0], 1, 1), ("conv", "Branch_2/Conv2d_0b_3x3", b2[1], 3, 1),
         ("conv", "Branch_2/Conv2d_0c_3x3", b2[2], 3, 1)],
        [(pool, f"Branch_3/{'AvgPool' if pool == 'avg' else 'MaxPool'}_0a_3x3", 1),
         ("conv", "Branch_3/Conv2d_0b_1x1", pool_filters, 1, 1)],
    ]


def _reduction(b0, b1):
    return [
        [("conv", "Branch_0/Conv2d_0a_1x1", b0[0], 1, 1), ("conv", "Branch_0/Conv2d_1a_3x3", b0[1], 3, 2)],
        [("conv", "Branch_1/Conv2d_0a_1x1", b1[0], 1, 1), ("conv", "Branch_1/Conv2d_0b_3x3", b1[1], 3, 1),
         ("conv", "Branch_1/Conv2d_1a_3x3", b1[2], 3, 2)],
        [("max", "Branch_2/MaxPool_1a_3x3", 2)],
    ]


BLOCKS = (
    ("Mixed_3b", _block(64, (64, 64), (64, 96, 96), 32)),
    ("Mixed_3c", _block(64, (64, 96), (64, 96, 96), 64)),
    ("Mixed_4a", _reduction((128, 160), (64, 96, 96))),
    ("Mixed_4b", _block(224, (64, 96), (96, 128, 128), 128)),
    ("Mixed_4c", _block(192, (96, 128), (96, 128, 128), 128)),
    ("Mixed_4d", _block(160, (128, 160), (128, 160, 160), 96)),
    ("Mixed_4e", _block(96, (128, 192), (160, 192, 192), 96)),
    ("Mixed_5a", _reduction((128, 192), (192, 256, 256))),
    ("Mixed_5b", _block(352, (192, 320), (160, 224, 224), 128)),
    ("Mixed_5c", _block(352, (192, 320), (192, 224, 224), 128, pool="max")),
)


def keras_name(scope):
    """The Keras layer name of a slim scope: '/' -> '_'."""
    return scope.replace("/", "_")


def _batch_norm(x, scope):
    x = keras.layers.BatchNormalization(scale=False, momentum=BN_MOMENTUM, epsilon=BN_EPSILON,
                                        name=keras_name(scope + "/BatchNorm"))(x)
    return keras.layers.ReLU(name=keras_name(scope + "/Relu"))(x)


def _conv(x, scope, filters, kernel, stride):
    x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False,
                            name=keras_name(scope))(x)
    return _batch_norm(x, scope)


def _pool(x, kind, scope, stride):
    cls = keras.layers.AveragePooling2D if kind == "avg" else keras.layers.MaxPooling2D
    return cls(3, strides=stride, padding="same", name=keras_name(scope))(x)


def _inception(x, name, branches):
    outputs = []
    for branch in branches:
        y = x
        for step in branch:
            if step[0] == "conv":
                _, scope, filters, kernel, stride = step
                y = _conv(y, f"{name}/{scope}", filters, kernel, stride)
            else:
                kind, scope, stride = step
                y = _pool(y, kind, f"{name}/{scope}", stride)
        outputs.append(y)
    return keras.layers.Concatenate(name=keras_name(f"{name}/concat"))(outputs)


def inception_v2_features(input_shape=(224, 224, 3), name="InceptionV2"):
    """Inception-v2 from images (already in [-1, 1]) to globally pooled 1024-d features."""
    inputs = keras.Input(tuple(input_shape), name="inputs")
    x = keras.layers.SeparableConv2D(64, 7, strides=2, padding="same", depth_multiplier=STEM_DEPTHWISE_MULTIPLIER,
                                     use_bias=True, name=STEM)(inputs)
    x = keras.layers.ReLU(name=keras_name(STEM + "/Relu"))(x)
    x = _pool(x, "max", "MaxPool_2a_3x3", 2)
    x = _conv(x, "Conv2d_2b_1x1", 64, 1, 1)
    x = _conv(x, "Conv2d_2c_3x3", 192, 3, 1)
    x = _pool(x, "max", "MaxPool_3a_3x3", 2)
    for block_name, branches in BLOCKS:
        x = _inception(x, block_name, branches)
    x = keras.layers.GlobalAveragePooling2D(name="Logits_AvgPool_1a")(x)
    return keras.Model(inputs, x, name=name)
