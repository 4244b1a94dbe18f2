"""The pre-resized cache: equal to the pipeline it replaces, resumable, atomic, and its script;
also on a tf.io.gfile store (TensorFlow's in-memory ram://, per process)."""

import json
import os
import subprocess
import sys
import uuid

import numpy as np
import pytest
import tensorflow as tf

from resizer import files
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
    # A central cache written before the crop was recorded is not read for evaluation, and the error says why.
    info_path = os.path.join(path, cache.INFO_FILE)
    with open(info_path) as f:
        info = json.load(f)
    del info["eval_crop"]
    with open(info_path, "w") as f:
        json.dump(info, f)
    with pytest.raises(FileNotFoundError, match=r"not read: validation-central-48px-bilinear-jpeg \(crop not "
                                                r"recorded: an older cache\), this run evaluates central_crop_0\.875"):
        _images(prepared, cache_dir=str(tmp_path))
    os.remove(info_path)
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


@pytest.fixture
def ram_cache(tmp_path, monkeypatch):
    """A fresh ram:// cache directory; the working directory is an empty folder, so a URL taken
    for a local path (a "ram:" folder) shows."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    yield f"ram://{uuid.uuid4().hex}/cache"
    assert os.listdir(cwd) == []


def test_a_cache_on_a_gfile_store_reads_as_the_same_cache_written_locally(prepared, tmp_path, ram_cache):
    local = str(tmp_path / "local")
    for cache_dir in (local, ram_cache):
        for split in ("validation", "train"):
            cache.write("imagenet2012", split, data_dir=prepared, cache_dir=cache_dir, size=48, fmt="raw",
                        examples_per_shard=4)
    path = f"{ram_cache}/imagenet2012/validation-central-48px-bilinear-raw"
    assert sorted(tf.io.gfile.listdir(path)) == sorted(os.listdir(local + path[len(ram_cache):]))
    assert cache.disk_bytes(path) == cache.disk_bytes(local + path[len(ram_cache):]) > 0
    assert list(cache.complete_caches(ram_cache, "imagenet2012", "validation")) == [path]
    for training, split in ((False, "validation"), (True, "train")):
        read = [_images(prepared, split, training=training, cache_dir=d, seed=3)
                for d in (local, ram_cache)]
        np.testing.assert_array_equal(read[1][0], read[0][0])
        np.testing.assert_array_equal(read[1][1], read[0][1])
        assert read[1][2] == read[0][2] == (6 if split == "validation" else 12)


def test_an_interrupted_cache_write_on_a_gfile_store_resumes(prepared, ram_cache, monkeypatch):
    written = []

    def interrupted_at_the_second_shard(path, write_fn):
        written.append(os.path.basename(path))
        if len(written) == 2:
            def partial(tmp):
                with tf.io.gfile.GFile(tmp, "w") as f:
                    f.write("part of a shard")
                raise KeyboardInterrupt
            return files.atomic_write(path, partial)
        return files.atomic_write(path, write_fn)

    monkeypatch.setattr(cache, "atomic_write", interrupted_at_the_second_shard)
    with pytest.raises(KeyboardInterrupt):
        cache.write("imagenet2012", "train", data_dir=prepared, cache_dir=ram_cache, size=32, examples_per_shard=5)
    path = f"{ram_cache}/imagenet2012/train-full-32px-bilinear-jpeg"
    # The shard being written when it stopped is not there, not even its temporary.
    assert sorted(tf.io.gfile.listdir(path)) == [cache.PLAN_FILE, "shard-00000-of-00003.tfrecord"]
    assert cache.complete_caches(ram_cache, "imagenet2012", "train") == {}
    written.clear()
    monkeypatch.setattr(cache, "atomic_write", lambda path, fn: (written.append(os.path.basename(path)),
                                                                 files.atomic_write(path, fn)))
    cache.write("imagenet2012", "train", data_dir=prepared, cache_dir=ram_cache, size=32, examples_per_shard=5)
    assert written == ["shard-00001-of-00003.tfrecord", "shard-00002-of-00003.tfrecord"]  # shard 0 kept
    assert sorted(tf.io.gfile.listdir(path)) == sorted(
        [cache.INFO_FILE, cache.PLAN_FILE] + [f"shard-0000{i}-of-00003.tfrecord" for i in range(3)])
    assert cache.complete_caches(ram_cache, "imagenet2012", "train")[path]["num_examples"] == 12
    _, labels, count = _images(prepared, "train", input_size=32, cache_dir=ram_cache)  # once, in order
    assert count == len(labels) == 12


def test_default_cache_dir_and_cache_paths_on_a_gfile_store(monkeypatch):
    monkeypatch.setenv(cache.ENV_CACHE_DIR, "ram://bucket/cache")
    assert cache.default_cache_dir("/data") == "ram://bucket/cache"
    monkeypatch.delenv(cache.ENV_CACHE_DIR)
    assert cache.default_cache_dir("ram://bucket/data") == "ram://bucket/data/resizer_cache"
    options = dict(mode="full", size=8, interpolation="bilinear", fmt="raw")
    assert cache.cache_path("ram://b/~c", "ava", "train", **options) == "ram://b/~c/ava/train-full-8px-bilinear-raw"
    assert cache.cache_path("~/c", "ava", "train", **options) == os.path.expanduser("~/c/ava/train-full-8px-bilinear-raw")


def test_prepare_data_script_writes_a_cache_to_a_gfile_store(prepared, tmp_path):
    # ram:// lives in one process: the script's own summary (read back from the store) shows it.
    url = f"ram://{uuid.uuid4().hex}/cache"
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts/prepare_data.py"), "--dataset=imagenet2012",
         f"--data_dir={prepared}", "--size=32", "--splits=validation", "--format=raw", "--examples_per_shard=4"],
        cwd=tmp_path, env=dict(os.environ, RESIZER_CACHE_DIR=url), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"cache {url}/imagenet2012/validation-central-32px-bilinear-raw: 6 examples, " in \
        result.stdout, result.stdout
    assert os.listdir(tmp_path) == []
