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

Named preprocessing options (`--train_preprocessing`, `--eval_preprocessing`; `PREPROCESSING`):
  ours (default): the dataset's policies above, then the pipeline's fixed resize
    (tf.image.resize, half-pixel centres) - the Model Garden / timm convention.
  slim: TF-slim's `inception_preprocessing.py`, as the paper's Google code ran it.
    eval = `preprocess_for_eval`: tf.image.central_crop(0.875) keeps 87.5% of *each side*
    (aspect kept; start int((h - 0.875 h) / 2), size h - 2 start), then
    tf.compat.v1.image.resize_bilinear(align_corners=False) - no half-pixel centres - to
    the square. train = `preprocess_for_train` (fast_mode): distorted bounding box crop
    (area 5%-100%, aspect 0.75-1.33, min_object_covered 0.1, 100 attempts), the same TF1
    bilinear resize, random flip, then colour distortion (brightness +-32/255 and saturation
    0.5-1.5, in one of slim's 4 orderings drawn at random; clipped to [0, 1]). Without object
    boxes (the whole image is the box) min_object_covered=0.1 floors the area at 10% for
    slim's crop and ours alike, so the 5% vs 8% bounds do not matter; the attempts (100 vs
    10), the 1.33 bound, the resize, the colour distortion and the flip's place do.
  Slim ends with (x - 0.5) * 2; here images stay in [0, 1] and the model's normalisation
  layer applies the same map for Inception-v2 (every backbone its own), so the backbone
  sees slim's values.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

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


SLIM_EVAL_FRACTION = 0.875
SLIM_AREA = (0.05, 1.0)
SLIM_ASPECT = (0.75, 1.33)
SLIM_ATTEMPTS = 100
SLIM_BRIGHTNESS = 32.0 / 255.0
SLIM_SATURATION = (0.5, 1.5)


def slim_central_window(shape, fraction=SLIM_EVAL_FRACTION):
    """tf.image.central_crop's window [y, x, h, w]: each side keeps `fraction` (float64 arithmetic as TF's)."""
    sides = tf.cast(shape, tf.float64)
    start = tf.cast((sides - sides * fraction) / 2, tf.int32)
    return tf.concat([start, shape - 2 * start], 0)


def slim_train_window(shape, seed):
    """slim's distorted_bounding_box_crop window, drawn statelessly in `seed`."""
    begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.concat([shape, [3]], 0), bounding_boxes=tf.constant([[[0.0, 0.0, 1.0, 1.0]]]), seed=seed,
        min_object_covered=0.1, aspect_ratio_range=SLIM_ASPECT, area_range=SLIM_AREA,
        max_attempts=SLIM_ATTEMPTS, use_image_if_no_bounding_boxes=True)
    return tf.concat([begin[:2], size[:2]], 0)


def resize_bilinear_v1(pixels, size):
    """uint8 (h, w, 3) -> float32 (size, size, 3) in [0, 1] by TF1's resize_bilinear(align_corners=False)."""
    image = tf.compat.v1.image.resize_bilinear(tf.cast(pixels, tf.float32)[None], [size, size], align_corners=False)
    return image[0] * (1.0 / 255.0)


def slim_color(image, seed):
    """slim's distort_color(fast_mode=True) on a [0, 1] image: brightness, then saturation, clipped.

    preprocess_for_train draws among `1 if fast_mode else 4` orderings, so fast mode always
    takes ordering 0."""
    keys = [tf.random.experimental.stateless_fold_in(seed, k) for k in (1, 2)]
    image = tf.image.stateless_random_brightness(image, SLIM_BRIGHTNESS, keys[0])
    image = tf.image.stateless_random_saturation(image, *SLIM_SATURATION, keys[1])
    return tf.clip_by_value(image, 0.0, 1.0)


@dataclasses.dataclass(frozen=True)
class Preprocessing:
    """A named preprocessing option; None fields keep the dataset's policy / the pipeline's resize.

    window: (original (height, width), seed) -> crop window; resize: (uint8 crop, side) ->
    float32 [0, 1]; color: (image, seed) -> image, after the flip; record: what results.json
    records as settings.train_crop / eval_crop (None: the dataset's own name)."""

    name: str
    record: Optional[str] = None
    window: Optional[Callable] = None
    resize: Optional[Callable] = None
    color: Optional[Callable] = None


OURS = Preprocessing("ours")
PREPROCESSING = {
    "train": {
        "ours": OURS,
        "slim": Preprocessing("slim", "slim_inception_train_crop_area0.05-1_aspect0.75-1.33+resize_bilinear_v1"
                                      "+flip+color_fast", slim_train_window, resize_bilinear_v1, slim_color),
    },
    "eval": {
        "ours": OURS,
        "slim": Preprocessing("slim", "slim_central_crop_0.875_each_side+resize_bilinear_v1",
                              lambda shape, seed: slim_central_window(shape), resize_bilinear_v1),
    },
}
PREPROCESSING_NAMES = tuple(PREPROCESSING["eval"])


def apply_option(option, pixels, size, seed, training):
    """uint8 crop -> float32 (size, size, 3) in [0, 1] by a named option: resize, then (training)
    flip and colour. Flipped after the resize: TF1's bilinear is not mirror-symmetric."""
    image = option.resize(pixels, size)
    if training:
        image = tf.image.stateless_random_flip_left_right(image, seed)
        if option.color is not None:
            image = option.color(image, seed)
    return image


def preprocessing(training, name):
    """The Preprocessing named `name` for training or evaluation; ValueError naming the flag."""
    kind = "train" if training else "eval"
    try:
        return PREPROCESSING[kind][name or "ours"]
    except KeyError:
        raise ValueError(f"--{kind}_preprocessing: unknown option {name!r}; choose one of "
                         f"{', '.join(PREPROCESSING[kind])}.") from None
