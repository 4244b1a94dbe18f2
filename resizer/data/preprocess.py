"""Per-example preprocessing shared by the input pipeline and the cache writer (below both, so
neither imports the other): the crop of a dataset's policy, then the paper's fixed pre-resize."""

from __future__ import annotations

import tensorflow as tf

from resizer import interpolation as interpolation_lib
from resizer.data import crops


def pre_resize(pixels, size, interpolation):
    """uint8 (h, w, 3) -> float32 (size, size, 3) in [0, 1]: the paper's fixed resize."""
    image = tf.image.resize(pixels, (size, size), method=interpolation) * (1.0 / 255.0)
    return tf.clip_by_value(image, 0.0, 1.0) if interpolation in interpolation_lib.OVERSHOOTING else image


def crop_window(info, training, shape, seed, option=crops.OURS):
    """The crop window [y, x, height, width] of an image whose original (height, width) is `shape`."""
    if option.window is not None:  # a named preprocessing option (crops.PREPROCESSING) replaces the policy
        return option.window(shape, seed)
    if training and info.train_crop == "inception":
        return crops.inception_window(shape, seed)
    if training:
        return crops.full_window(shape)
    if info.eval_crop == "central":
        return crops.central_window(shape, info.eval_fraction)
    return crops.full_window(shape)


def cropped_pixels(example, info, training, seed, precropped=False, option=crops.OURS):
    """The uint8 crop of an example's image (JPEG bytes or decoded), per the dataset's policy."""
    image = example["image"]
    if precropped:
        return crops.decode(image)
    if training and info.train_crop == "pad_crop" and option.window is None:
        return crops.pad_crop(image, seed)
    stored = crops.image_shape(image)
    if "source_hw" not in example:
        return crops.crop(image, crop_window(info, training, stored, seed, option))
    original = tf.cast(example["source_hw"], tf.int32)  # a resized copy from the cache
    return crops.crop(image, crops.rescale_window(crop_window(info, training, original, seed, option), original,
                                                  stored))
