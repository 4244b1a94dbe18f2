"""make_dataset on small in-memory sources: crops, pre-resize, determinism, sharding, errors."""

import types

import numpy as np
import pytest
import tensorflow as tf

from resizer import data
from resizer.data import crops, registry, testing

SHAPES = [(60, 80), (80, 60), (50, 50), (64, 96)] * 3  # 12 images


def _jpegs():
    rng = np.random.default_rng(0)
    return [testing.photo_jpeg(h, w, rng) for h, w in SHAPES]


JPEGS = _jpegs()


def _fake_module(name, pipeline_options=True, task="classification"):
    """A dataset module with the contract's `source`, holding JPEG bytes (or uint8 images)."""
    module = types.ModuleType(name)
    module.INFO = data.DatasetInfo(name=name, task=task, num_classes=len(JPEGS), interpolation="bilinear",
                                   splits=("train", "test"), train_split="train", eval_split="test",
                                   selection_split=None, pipeline_options=pipeline_options)

    def examples(decode):
        images = [tf.io.decode_jpeg(j, channels=3) for j in JPEGS] if decode else JPEGS
        ds = tf.data.Dataset.from_generator(
            lambda: ((image, i) for i, image in enumerate(images)),
            output_signature=(tf.TensorSpec((None, None, 3), tf.uint8) if decode else tf.TensorSpec((), tf.string),
                              tf.TensorSpec((), tf.int64)))
        if task == "iqa":
            return ds.map(lambda image, i: {"image": image, "distribution": tf.one_hot(i % 10, 10), "key": i})
        return ds.map(lambda image, i: {"image": image, "label": i, "key": i})

    if pipeline_options:
        def source(split, data_dir, *, decode=True, shuffle_files=False, seed=None, input_context=None,
                   num_examples=None):
            ds, count = examples(decode), len(JPEGS)
            if num_examples:
                ds, count = ds.take(num_examples), min(count, num_examples)
            if input_context is not None:
                ds = ds.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
            return ds, count
    else:
        def source(split, data_dir):
            return examples(True).map(lambda e: {"image": e["image"], "label": e["label"]}), len(JPEGS)
    module.source = source
    return module


@pytest.fixture
def fake(monkeypatch):
    for name, kwargs in (("fake", {}), ("fake_decoded", {"pipeline_options": False}), ("fake_iqa", {"task": "iqa"})):
        monkeypatch.setitem(registry.DATASETS.extra, name, _fake_module(name, **kwargs))
    return "fake"


def _batches(name="fake", split="test", take=None, **kwargs):
    options = dict(data_dir=None, training=False, input_size=32, batch_size=4)
    options.update(kwargs)
    ds, count = data.make_dataset(name, split, **options)
    ds = ds.take(take) if take else ds
    return [(x.numpy(), y.numpy()) for x, y in ds], count


def test_eval_is_a_central_crop_then_the_fixed_resize(fake):
    batches, count = _batches(deterministic=True, input_size=40)
    images = np.concatenate([x for x, _ in batches])
    labels = np.concatenate([y for _, y in batches])
    assert count == 12 and images.shape == (12, 40, 40, 3) and labels.dtype == np.int32
    # Image 0 is 60x80: a 52.5 -> 52 pixel square from (3.75, 13.75) -> (4, 14), independently computed here.
    decoded = tf.io.decode_jpeg(JPEGS[0], channels=3)[4:56, 14:66]
    expected = np.clip(tf.image.resize(decoded, (40, 40), method="bilinear").numpy() / 255.0, 0, 1)
    _assert_same_up_to_window_edges(images[list(labels).index(0)], expected)


def _assert_same_up_to_window_edges(actual, expected):
    """decode_and_crop_jpeg upsamples chroma without the neighbours outside the window, so the
    outermost pixels may differ by a few levels from decode-then-crop; the rest is identical."""
    np.testing.assert_allclose(actual[..., 1:-1, 1:-1, :], expected[..., 1:-1, 1:-1, :], atol=1e-6)
    assert np.abs(actual - expected).max() < 0.05


def test_training_is_random_but_reproducible(fake):
    run = dict(split="train", training=True, take=6, deterministic=True)
    first, _ = _batches(**run, seed=3)
    again, _ = _batches(**run, seed=3)
    other, _ = _batches(**run, seed=4)
    for (x, y), (x2, y2) in zip(first, again):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)
    assert any(not np.array_equal(x, x2) for (x, _), (x2, _) in zip(first, other))
    images = np.concatenate([x for x, _ in first])
    labels = np.concatenate([y for _, y in first])
    assert images.shape == (24, 32, 32, 3) and 0.0 <= images.min() and images.max() <= 1.0
    # 24 examples = 2 epochs: the same image is cropped differently in its two epochs.
    twice = [label for label in range(12) if (labels == label).sum() == 2]
    assert twice and all(not np.array_equal(*images[labels == label]) for label in twice)


def test_skip_batches_continues_the_same_stream(fake):
    run = dict(split="train", training=True, deterministic=True, seed=5)
    full, _ = _batches(**run, take=6)
    resumed, _ = _batches(**run, take=2, skip_batches=4)
    for (x, y), (x2, y2) in zip(full[4:], resumed):
        np.testing.assert_array_equal(x, x2)   # same images, crops and flips as the unskipped run
        np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(full[0][0], resumed[0][0])
    with pytest.raises(ValueError, match="skip_batches"):
        _batches(skip_batches=1)


def test_skip_batches_counts_global_steps_when_a_pipeline_feeds_several_replicas(fake):
    # One pipeline, 2 replicas: every global step takes 2 per-replica batches of 2.
    context = tf.distribute.InputContext(num_input_pipelines=1, input_pipeline_id=0, num_replicas_in_sync=2)
    run = dict(split="train", training=True, deterministic=True, seed=5, batch_size=4, input_context=context)
    full, _ = _batches(**run, take=8)
    resumed, _ = _batches(**run, take=2, skip_batches=3)   # resume after 3 global steps
    for (x, y), (x2, y2) in zip(full[6:], resumed):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)


def test_training_batches_are_full_and_repeat(fake):
    batches, count = _batches(split="train", training=True, batch_size=5, take=7)
    assert count == 12 and [x.shape[0] for x, _ in batches] == [5] * 7


def test_input_context_shards_and_splits_the_global_batch(fake):
    seen = []
    for pipeline in range(2):
        context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline,
                                             num_replicas_in_sync=2)
        for name in ("fake", "fake_decoded"):
            batches, count = _batches(name, batch_size=4, input_context=context)
            assert count == 12 and all(x.shape[0] <= 2 for x, _ in batches)
            labels = np.concatenate([y for _, y in batches])
            assert len(labels) == 6
            seen.append(set(labels))
    assert seen[0] == seen[1] and seen[0].isdisjoint(seen[2]) and seen[0] | seen[2] == set(range(12))


def test_batch_must_divide_across_replicas(fake):
    context = tf.distribute.InputContext(num_input_pipelines=1, input_pipeline_id=0, num_replicas_in_sync=3)
    with pytest.raises(ValueError, match="divisible by the 3 replicas"):
        _batches(batch_size=4, input_context=context)


def test_num_examples_limits_the_split(fake):
    for name in ("fake", "fake_decoded"):
        batches, count = _batches(name, num_examples=5)
        assert count == 5 and sum(x.shape[0] for x, _ in batches) == 5


def test_decoded_sources_get_the_same_crops(fake):
    encoded, _ = _batches("fake", deterministic=True)
    decoded, _ = _batches("fake_decoded", deterministic=True)
    for (x, _), (x2, _) in zip(encoded, decoded):
        _assert_same_up_to_window_edges(x, x2)


def test_iqa_targets_and_distortion_size(fake):
    batches, _ = _batches("fake_iqa", distortion="downscale4x", input_size=48)
    x, y = batches[0]
    assert x.shape == (4, 12, 12, 3) and y.shape == (4, 10) and y.dtype == np.float32


def test_evaluation_noise_is_fixed_by_the_seed_not_the_read_order(fake):
    def by_label(seed):
        batches, _ = _batches(distortion="gaussian_noise_0.1", seed=seed)
        return {int(label): image for x, y in batches for label, image in zip(y, x)}

    first, again, other = by_label(1), by_label(1), by_label(2)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="nope"), "Unknown dataset 'nope'"),
    (dict(split="validation"), "no split 'validation'"),
    (dict(distortion="blur"), "Unknown distortion 'blur'"),
    (dict(interpolation="cubic"), "Unknown interpolation 'cubic'"),
    (dict(input_size=0), "input_size must be"),
    (dict(distortion="downscale4x", input_size=30), "divisible by 4"),
    (dict(source_options={"seed": 1}), "source_options may not set"),
])
def test_bad_arguments(fake, kwargs, message):
    with pytest.raises(ValueError, match=message):
        _batches(**kwargs)


def test_dataset_facts():
    assert data.info("imagenet2012").interpolation == "bilinear"
    assert data.info("ava").interpolation == "bicubic" and data.info("ava").task == "iqa"
    assert data.info("imagenet2012").eval_split == "validation" and data.info("cifar10").eval_split == "test"
    assert data.crop_conventions("imagenet2012") == ("inception_crop_area0.08-1_aspect3/4-4/3+flip",
                                                     "central_crop_0.875")
    assert data.crop_conventions("cifar10") == ("pad4_random_crop+flip", "full_image")
    assert registry.module("synthetic").__name__ == "resizer.datasets.synthetic"
    assert set(registry.names()) >= {"imagenet2012", "ava", "cifar10", "synthetic"}


def test_synthetic_dispatches_to_the_demo_module():
    pytest.importorskip("resizer.datasets.synthetic")
    batches, count = _batches("synthetic", num_examples=6, input_size=48)
    assert count == 6 and [x.shape for x, _ in batches] == [(4, 48, 48, 3), (2, 48, 48, 3)]
    assert batches[0][1].dtype == np.int32


def test_crop_windows_stay_inside_the_image():
    shape = tf.constant([37, 91])
    for seed in range(20):
        y, x, h, w = crops.inception_window(shape, tf.constant([seed, 0])).numpy()
        assert 0 <= y and 0 <= x and h >= 1 and w >= 1 and y + h <= 37 and x + w <= 91
        assert h * w >= 0.07 * 37 * 91
    original, stored = tf.constant([100, 200]), tf.constant([50, 50])
    window = crops.central_window(original, 0.875)
    assert list(window.numpy()) == [6, 56, 88, 88]  # round(87.5) = 88 (half to even), offsets (12 + 1) // 2, ...
    # The same crop on a 50x50 copy of the 100x200 image.
    assert list(crops.rescale_window(window, original, stored).numpy()) == [3, 14, 44, 22]
