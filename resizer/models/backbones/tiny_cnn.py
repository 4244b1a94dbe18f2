"""tiny_cnn: not in the paper; a small classifier for the tests, the CPU demo and the real-data suite."""

import keras

from resizer.models.backbones import TO_MINUS_ONE_ONE, Backbone, register_backbone


def make_tiny_cnn(input_shape):
    """Three strided conv/BN/ReLU stages and global pooling: trains on 2 CPU cores at 32-64 px."""
    inputs = keras.Input(tuple(input_shape))
    x = inputs
    for i, filters in enumerate((16, 32, 64)):
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=False, name=f"conv{i + 1}")(x)
        x = keras.layers.BatchNormalization(name=f"bn{i + 1}")(x)
        x = keras.layers.ReLU(name=f"relu{i + 1}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inputs, x, name="backbone")


register_backbone(Backbone("tiny_cnn", "resizer.models.backbones.tiny_cnn (tests, demo)", make_tiny_cnn,
                           *TO_MINUS_ONE_ONE, normalisation="[-1, 1]"))
