"""The pre-resized cache: equal to the pipeline it replaces, resumable, atomic, and its script."""

import os
import subprocess
import sys

import numpy as np
import pytest

from resizer.data import cache, make_dataset, testing

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("imagenet_cache"))
    testing.prepared_imagenet(data_dir, num_classes=3, per_class=4, num_val=6, size=(120, 160))
    return data_dir


def _images(data_dir, split="validation", **kwargs):
    options = dict(data_dir=data_dir, training=False, input_size=48, batch_size=64, deterministic=True)
    options.update(kwargs)
    ds, count = make_dataset("imagenet2012", split, **options)
    images, labels = next(iter(ds))
    return images.numpy(), labels.numpy(), count


@pytest.mark.parametrize("fmt, mean_tolerance, max_tolerance", [("raw", 0.5 / 255, 0.5 / 255 + 1e-6),
                                                                ("jpeg", 0.02, 0.3)])
def test_central_cache_equals_the_eval_pipeline(prepared, tmp_path, fmt, mean_tolerance, max_tolerance):
    cache.write("imagenet2012", "validation", data_dir=prepared, cache_dir=str(tmp_path), size=48, fmt=fmt)
    expected, labels, _ = _images(prepared)
    cached, cached_labels, count = _images(prepared, cache_dir=str(tmp_path))
    assert count == 6
    np.testing.assert_array_equal(cached_labels, labels)
    error = np.abs(cached - expected)
    assert error.mean() <= mean_tolerance and error.max() <= max_tolerance


def test_full_cache_serves_training_and_smaller_sizes(prepared, tmp_path):
    path = cache.write("imagenet2012", "train", data_dir=prepared, cache_dir=str(tmp_path), size=64, fmt="raw")
    assert os.path.basename(path) == "train-full-64px-bilinear-raw"
    ds, count = make_dataset("imagenet2012", "train", data_dir=prepared, training=True, input_size=48,
                             batch_size=4, cache_dir=str(tmp_path))
    images, labels = next(iter(ds))
    assert count == 12 and images.shape == (4, 48, 48, 3) and set(labels.numpy()) <= {0, 1, 2}
    # Evaluation from a full cache crops on the original frame: close to the real eval crop.
    cache.write("imagenet2012", "validation", data_dir=prepared, cache_dir=str(tmp_path), size=64, mode="full",
                fmt="raw")
    expected, _, _ = _images(prepared, input_size=32)
    approximate, _, _ = _images(prepared, input_size=32, cache_dir=str(tmp_path))
    assert np.abs(approximate - expected).mean() < 0.03


def test_a_cache_is_never_mixed_or_reused_from_other_settings(prepared, tmp_path):
    # A subset cache: a full run must not read it as the whole split ...
    cache.write("imagenet2012", "validation", data_dir=prepared, cache_dir=str(tmp_path), size=48, fmt="raw",
                num_examples=4)
    with pytest.raises(FileNotFoundError, match="No usable cache"):
        _images(prepared, cache_dir=str(tmp_path))
    assert _images(prepared, cache_dir=str(tmp_path), num_examples=4)[2] == 4   # ... but a 4-example run may
    # Completing it with other settings would mix two layouts under one name: refused.
    with pytest.raises(ValueError, match="delete that directory"):
        cache.write("imagenet2012", "validation", data_dir=prepared, cache_dir=str(tmp_path), size=48, fmt="raw")
    # Written from other source options (AVA's validation size decides what train holds): not chosen.
    with pytest.raises(FileNotFoundError, match="No usable cache"):
        cache.choose(str(tmp_path), "imagenet2012", "validation", input_size=48, interpolation="bilinear",
                     training=False, source_options={"validation_size": 3}, num_examples=4)


def test_cache_resumes_and_leaves_no_partial_files(prepared, tmp_path):
    path = cache.write("imagenet2012", "train", data_dir=prepared, cache_dir=str(tmp_path), size=32,
                       examples_per_shard=5)
    shards = sorted(f for f in os.listdir(path) if f.startswith("shard-"))
    assert shards == [f"shard-0000{i}-of-00003.tfrecord" for i in range(3)]
    first = os.path.join(path, shards[0])
    before = os.stat(first).st_mtime_ns
    os.remove(os.path.join(path, shards[1]))
    cache.write("imagenet2012", "train", data_dir=prepared, cache_dir=str(tmp_path), size=32, examples_per_shard=5)
    assert sorted(f for f in os.listdir(path) if f.startswith("shard-")) == shards
    assert os.stat(first).st_mtime_ns == before
    assert not [f for f in os.listdir(path) if f.endswith(".tmp")]  # resizer.files temporaries
    description = cache.complete_caches(str(tmp_path), "imagenet2012", "train")[path]
    assert description["num_examples"] == 12 and description["num_shards"] == 3


def test_missing_or_incomplete_cache_is_explained(prepared, tmp_path):
    path = cache.write("imagenet2012", "validation", data_dir=prepared, cache_dir=str(tmp_path), size=48)
    with pytest.raises(FileNotFoundError, match=r"No usable cache.*for training.*validation-central-48px"):
        make_dataset("imagenet2012", "validation", data_dir=prepared, training=True, input_size=48, batch_size=2,
                     cache_dir=str(tmp_path))
    os.remove(os.path.join(path, cache.INFO_FILE))
    with pytest.raises(FileNotFoundError, match=r"caches there: none.*prepare_data\.py --dataset imagenet2012"):
        _images(prepared, cache_dir=str(tmp_path))


def test_cache_first_n_examples(prepared, tmp_path):
    cache.write("imagenet2012", "validation", data_dir=prepared, cache_dir=str(tmp_path), size=48,
                examples_per_shard=2)
    images, _, count = _images(prepared, cache_dir=str(tmp_path), num_examples=3)
    assert count == 3 and images.shape[0] == 3


def test_cifar10_is_not_cached(tmp_path):
    with pytest.raises(ValueError, match="cifar10 cannot be cached"):
        cache.write("cifar10", "train", data_dir=str(tmp_path), cache_dir=str(tmp_path), size=32)


def test_prepare_data_script_on_a_mini_ava(tmp_path):
    from resizer.datasets import ava

    testing.write_ava_manual(ava.DATASET.manual_dir(str(tmp_path)), num_images=12, num_test=4, corrupt=(1001,))
    result = subprocess.run(
        [sys.executable, "scripts/prepare_data.py", "--dataset=ava", f"--data_dir={tmp_path}", "--size=32",
         "--validation_size=3", "--format=raw"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    summary = [i for i, line in enumerate(lines) if line.startswith("ava prepared in")]
    assert summary and lines[summary[0]].endswith("test 3, train 8")
    assert "ava test: skipped images: 1 undecodable" in lines[summary[0] + 1]
    assert "train-full-32px-bicubic-raw: 5 examples" in result.stdout
    assert "test-central-32px-bicubic-raw: 3 examples" in result.stdout
