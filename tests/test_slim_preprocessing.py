"""--eval_preprocessing=slim / --train_preprocessing=slim against TF-slim's inception_preprocessing.

tf-slim 1.1.0 does not ship the preprocessing module, so the reference is what slim's
`preprocess_for_eval` is made of, composed in slim's order: convert_image_dtype to [0, 1],
tf.image.central_crop(0.875), tf.compat.v1.image.resize_bilinear(align_corners=False),
then (x - 0.5) * 2. Ours is the pipeline's crop and resize, then the model's normalisation
layer of Inception-v2 (2x - 1).
"""

import numpy as np
import pytest
import tensorflow as tf

from resizer import config
from resizer.data import crop_conventions, crops, make_dataset, pipeline
from resizer.datasets.imagenet2012 import INFO as IMAGENET
from resizer.data.testing import jpeg
from resizer.models import build

skimage_data = pytest.importorskip("skimage.data")
PHOTOS = ("astronaut", "chelsea", "coffee")  # 512x512, 300x451, 400x600
SIZES = (224, 160, 299, 331)
SEED = tf.constant([1, 2], tf.int64)


def slim_preprocess_for_eval(image, size):
    """slim's preprocess_for_eval(image, size, size), by the TF ops it calls, in its order."""
    image = tf.image.convert_image_dtype(image, dtype=tf.float32)
    image = tf.image.central_crop(image, central_fraction=0.875)
    image = tf.compat.v1.image.resize_bilinear(image[None], [size, size], align_corners=False)[0]
    return (image - 0.5) * 2.0


def ours(image, size, name="slim"):
    """The pipeline's eval image (a decoded photo or its JPEG bytes) in [0, 1]."""
    option = crops.preprocessing(False, name)
    pixels = pipeline.cropped_pixels({"image": tf.constant(image)}, IMAGENET, False, SEED, option=option)
    if option.resize is None:
        return pipeline.pre_resize(pixels, size, IMAGENET.interpolation)
    return crops.apply_option(option, pixels, size, SEED, training=False)


@pytest.fixture(scope="module")
def normalization():
    """Inception-v2's normalisation layer: what the backbone sees of a [0, 1] image."""
    return build("classification", "inception_v2", "bilinear", 32, 32).get_layer("normalization")


def interior_max_diff(a, b, border=1):
    return float(np.abs(np.asarray(a) - np.asarray(b))[border:-border, border:-border].max())


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PHOTOS)
def test_slim_eval_equals_slims_preprocess_for_eval(name, size, normalization):
    photo = getattr(skimage_data, name)()
    expected = slim_preprocess_for_eval(photo, size)
    got = normalization(ours(photo, size)[None])[0]
    assert got.shape == expected.shape == (size, size, 3)
    assert float(tf.reduce_max(tf.abs(got - expected))) < 1e-4  # the same ops: equal up to float rounding


@pytest.mark.parametrize("size", (224, 299))
@pytest.mark.parametrize("name", PHOTOS)
def test_slim_eval_on_jpeg_bytes_decodes_only_the_window(name, size, normalization):
    """Encoded images are cropped while decoding; slim decodes the whole JPEG, then crops."""
    data = jpeg(getattr(skimage_data, name)(), quality=90)
    expected = slim_preprocess_for_eval(tf.io.decode_jpeg(data, channels=3), size)
    got = normalization(ours(data, size)[None])[0]
    assert interior_max_diff(got, expected) < 2 / 255


def test_slim_and_our_eval_crops_differ_on_non_square_photos():
    """Ours: a 0.875 square of the shorter side, half-pixel bilinear; slim: 0.875 of each side."""
    photo = skimage_data.chelsea()  # 300 x 451
    shape = tf.constant(photo.shape[:2])
    np.testing.assert_array_equal(crops.slim_central_window(shape), [18, 28, 264, 395])
    np.testing.assert_array_equal(crops.central_window(shape, 0.875), [19, 95, 262, 262])
    assert float(tf.reduce_max(tf.abs(ours(photo, 224, "slim") - ours(photo, 224, "ours")))) > 0.1


@pytest.mark.parametrize("shape", [(300, 451), (1, 1), (7, 9), (500, 375), (224, 224)])
def test_slim_window_is_tf_central_crop(shape):
    image = tf.zeros(shape + (3,))
    window = crops.slim_central_window(tf.constant(shape))
    assert tuple(window[2:].numpy()) == tuple(tf.image.central_crop(image, 0.875).shape[:2])


def test_slim_eval_through_make_dataset_matches_the_reference():
    """The hook: make_dataset(eval_preprocessing="slim") on generated images (97 px)."""
    ds, count = make_dataset("synthetic", "test", data_dir=None, training=False, input_size=64, batch_size=4,
                             num_examples=4, source_options={"image_size": 97}, eval_preprocessing="slim")
    from resizer.datasets import synthetic

    raw, _ = synthetic.source("test", image_size=97, size=4)
    images = next(iter(ds))[0]
    for image, example in zip(images, raw):
        expected = (slim_preprocess_for_eval(example["image"], 64) + 1.0) / 2.0
        assert interior_max_diff(image, expected) < 1 / 255
    assert count == 4


def test_slim_train_window_ranges():
    """Area 5-100% and aspect 0.75-1.33 as slim asks; with no object boxes (the whole image is the
    box) min_object_covered=0.1 floors the area at 10%, for slim's crop and ours alike."""
    shape = tf.constant([300, 451])
    areas, aspects, same = [], [], 0
    for i in range(200):
        seed = tf.constant([7, i], tf.int64)
        window = crops.slim_train_window(shape, seed)
        y, x, h, w = (int(v) for v in window)
        assert 0 <= y and y + h <= 300 and 0 <= x and x + w <= 451
        areas.append(h * w / (300 * 451))
        aspects.append(w / h)
        same += bool(tf.reduce_all(window == crops.inception_window(shape, seed)))
    areas, aspects = np.array(areas), np.array(aspects)
    assert areas.min() >= 0.1 - 0.01 and areas.max() <= 1.0 and areas.min() < 0.2
    assert aspects.min() >= 0.75 - 0.02 and aspects.max() <= 1.33 + 0.02
    assert same < 200  # 100 attempts and the 1.33 bound draw other windows than ours


def test_slim_train_colour_distortion_stays_in_slims_ranges():
    """On a grey image saturation changes nothing: the output is grey + a brightness delta."""
    option = crops.preprocessing(True, "slim")
    grey = tf.fill((40, 40, 3), tf.constant(128, tf.uint8))
    deltas = []
    for i in range(40):
        image = crops.apply_option(option, grey, 32, tf.constant([3, i], tf.int64), training=True)
        assert image.shape == (32, 32, 3) and float(tf.reduce_min(image)) >= 0 and float(tf.reduce_max(image)) <= 1
        values = image.numpy()
        assert np.ptp(values) < 1e-5
        deltas.append(values.mean() - 128 / 255)
    deltas = np.array(deltas)
    assert np.abs(deltas).max() <= 32 / 255 + 1e-6
    assert (deltas > 0.01).any() and (deltas < -0.01).any()
    again = crops.apply_option(option, grey, 32, tf.constant([3, 0], tf.int64), training=True)
    assert float(again.numpy().mean() - 128 / 255) == pytest.approx(deltas[0], abs=1e-7)


def test_slim_train_colour_distortion_is_brightness_then_saturation_as_in_fast_mode():
    # slim's preprocess_for_train selects among `1 if fast_mode else 4` orderings: fast mode is always
    # distort_color's ordering 0 (brightness, then saturation). The two orders differ where the
    # saturation clips, as on strongly coloured pixels, so the test image is made of them.
    rng = np.random.default_rng(0)
    vivid = tf.constant(np.where(rng.random((32, 32, 3)) < 0.3, 0.95, 0.1), tf.float32)
    apart = []
    for i in range(8):
        seed = tf.constant([5, i], tf.int64)
        brightness_key, saturation_key = (tf.random.experimental.stateless_fold_in(seed, k) for k in (1, 2))
        slim_order = tf.clip_by_value(tf.image.stateless_random_saturation(
            tf.image.stateless_random_brightness(vivid, 32 / 255, brightness_key), 0.5, 1.5, saturation_key), 0, 1)
        other_order = tf.clip_by_value(tf.image.stateless_random_brightness(
            tf.image.stateless_random_saturation(vivid, 0.5, 1.5, saturation_key), 32 / 255, brightness_key), 0, 1)
        got = crops.slim_color(vivid, seed)
        assert float(tf.reduce_max(tf.abs(got - slim_order))) < 1e-6
        apart.append(float(tf.reduce_max(tf.abs(got - other_order))))
    assert max(apart) > 0.02  # the order is visible: the other one would fail the line above


def test_options_are_named_recorded_and_flags():
    assert config.PREPROCESSING == crops.PREPROCESSING_NAMES == tuple(crops.PREPROCESSING["train"])
    assert crop_conventions("imagenet2012") == (IMAGENET.train_crop_name, IMAGENET.eval_crop_name)
    train, evaluation = crop_conventions("imagenet2012", "slim", "slim")
    assert train.startswith("slim_") and "0.05-1" in train and evaluation.startswith("slim_central_crop_0.875")
    with pytest.raises(ValueError, match="--eval_preprocessing: unknown option 'timm'"):
        crops.preprocessing(False, "timm")


def test_slim_options_refuse_the_cache(tmp_path):
    with pytest.raises(ValueError, match="--eval_preprocessing=slim crops full images.*unset --cache_dir"):
        make_dataset("imagenet2012", "validation", data_dir=str(tmp_path), training=False, input_size=64,
                     batch_size=2, cache_dir=str(tmp_path / "cache"), eval_preprocessing="slim")
