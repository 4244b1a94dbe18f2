"""Crop policies of the input pipeline, as windows on encoded or decoded images.

A crop is a window [y, x, height, width] chosen on the image's *original* frame. It is
applied to the stored image, which is either the original (read from TFDS) or a
pre-resized copy of it (read from the cache, `rescale_window`), so the crop geometry is
the same for both.
JPEG bytes are cropped while decoding (`tf.image.decode_and_crop_jpeg` decodes only the
window), decoded uint8 images by slicing.

Policies:
  inception: Inception-style random crop (area 8%-100% of the image, aspect ratio 3/4-4/3,
    tf.image.stateless_sample_distorted_bounding_box with min_object_covered 0.1 and 10
    attempts, the whole image when none succeeds).
  central: a centred square of side round(`fraction` x the shorter side) (0.875: 224 of
    256), offset ((height - side + 1) // 2, (width - side + 1) // 2).
  full: the whole image.
  pad_crop: CIFAR's 4-pixel zero padding then a random crop of the original size
    (decoded images only).
"""

from __future__ import annotations

import tensorflow as tf

INCEPTION_AREA = (0.08, 1.0)
INCEPTION_ASPECT = (3 / 4, 4 / 3)
CIFAR_PAD = 4


def image_shape(image):
    """(height, width) int32 of JPEG bytes (from the header) or a decoded image."""
    if image.dtype == tf.string:
        return tf.image.extract_jpeg_shape(image)[:2]
    return tf.shape(image)[:2]


def inception_window(shape, seed):
    """A random [y, x, height, width] window on an image of `shape` (height, width); stateless in `seed`."""
    begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.concat([shape, [3]], 0), bounding_boxes=tf.constant([[[0.0, 0.0, 1.0, 1.0]]]), seed=seed,
        min_object_covered=0.1, aspect_ratio_range=INCEPTION_ASPECT, area_range=INCEPTION_AREA,
        max_attempts=10, use_image_if_no_bounding_boxes=True)
    return tf.concat([begin[:2], size[:2]], 0)


def central_window(shape, fraction):
    """The centred square [y, x, side, side] with side = round(fraction x min(height, width))."""
    side = tf.cast(tf.round(fraction * tf.cast(tf.reduce_min(shape), tf.float32)), tf.int32)
    side = tf.maximum(side, 1)
    return tf.concat([(shape - side + 1) // 2, [side, side]], 0)


def full_window(shape):
    return tf.concat([[0, 0], shape], 0)


def rescale_window(window, original, stored):
    """A window on the original frame moved onto a resized copy of shape `stored` (>= 1x1, inside it)."""
    scale = tf.cast(tf.tile(stored, [2]), tf.float32) / tf.cast(tf.tile(original, [2]), tf.float32)
    window = tf.cast(tf.round(tf.cast(window, tf.float32) * scale), tf.int32)
    start = tf.clip_by_value(window[:2], 0, stored - 1)
    size = tf.clip_by_value(window[2:], 1, stored - start)
    return tf.concat([start, size], 0)


def crop(image, window):
    """The uint8 (h, w, 3) window of JPEG bytes (decoding only the window) or of a decoded image."""
    if image.dtype == tf.string:
        return tf.image.decode_and_crop_jpeg(image, window, channels=3)
    return tf.slice(image, [window[0], window[1], 0], [window[2], window[3], -1])


def decode(image):
    """A decoded uint8 (H, W, 3) image from JPEG bytes, or the image itself."""
    return tf.io.decode_jpeg(image, channels=3) if image.dtype == tf.string else image


def pad_crop(image, seed, pad=CIFAR_PAD):
    """Zero-pad by `pad` pixels, then a random crop of the original size (decoded images)."""
    image = decode(image)
    padded = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]])
    return tf.image.stateless_random_crop(padded, tf.shape(image), seed=seed)
