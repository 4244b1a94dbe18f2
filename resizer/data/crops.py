"""Crop policies of the input pipeline, as windows on encoded or decoded images.

A crop is chosen as a normalised box (y0, x0, y1, x1) on the image's *original* frame and
applied to the stored image, which is either the original (read from TFDS) or a
pre-resized copy of it (read from the cache); so the same crop geometry applies to both.
JPEG bytes are cropped while decoding (`tf.image.decode_and_crop_jpeg` decodes only the
window), decoded uint8 images by slicing.

Policies:
  inception: Inception-style random crop (area 8%-100% of the image, aspect ratio 3/4-4/3,
    tf.image.stateless_sample_distorted_bounding_box with min_object_covered 0.1 and 10
    attempts, the whole image when none succeeds).
  central: a centred square of side `fraction` x the shorter side (0.875: 224 of 256).
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


def inception_box(shape, seed):
    """A random normalised box on an image of `shape` (height, width); stateless in `seed`."""
    begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.concat([shape, [3]], 0), bounding_boxes=tf.constant([[[0.0, 0.0, 1.0, 1.0]]]), seed=seed,
        min_object_covered=0.1, aspect_ratio_range=INCEPTION_ASPECT, area_range=INCEPTION_AREA,
        max_attempts=10, use_image_if_no_bounding_boxes=True)
    hw = tf.cast(shape, tf.float32)
    start = tf.cast(begin[:2], tf.float32) / hw
    return tf.concat([start, start + tf.cast(size[:2], tf.float32) / hw], 0)


def central_box(shape, fraction):
    """The centred square of side fraction x min(height, width), normalised."""
    hw = tf.cast(shape, tf.float32)
    side = fraction * tf.reduce_min(hw)
    start = (hw - side) / 2 / hw
    return tf.concat([start, start + side / hw], 0)


def full_box():
    return tf.constant([0.0, 0.0, 1.0, 1.0])


def pixel_window(box, shape):
    """[y, x, height, width] int32 of a normalised box on an image of `shape`, at least 1x1."""
    hw = tf.cast(shape, tf.float32)
    start = tf.cast(tf.round(box[:2] * hw), tf.int32)
    size = tf.maximum(tf.cast(tf.round((box[2:] - box[:2]) * hw), tf.int32), 1)
    start = tf.clip_by_value(start, 0, shape - 1)
    size = tf.minimum(size, shape - start)
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
