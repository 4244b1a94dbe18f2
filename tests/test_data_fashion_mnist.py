"""Fashion-MNIST through TFDS's fashion_mnist builder, from gzip'd IDX files verified by content."""

import gzip
import hashlib
import json
import os
import shutil
from unittest import mock

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from tensorflow_datasets.image_classification import mnist

from resizer.data import make_dataset, testing, tfds_source
from resizer.datasets import fashion_mnist

NUM_TRAIN, NUM_TEST = 20, 6


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("fashion_mnist"))
    written = testing.prepared_fashion_mnist(data_dir, num_train=NUM_TRAIN, num_test=NUM_TEST)
    return data_dir, written


def test_splits_hold_the_files_examples_as_rgb(prepared):
    data_dir, written = prepared
    for split in ("train", "test"):
        ds, count = fashion_mnist.source(split, data_dir)
        examples = list(ds)
        assert count == len(written[split]) == len(examples)
        assert sorted(int(e["label"]) for e in examples) == sorted(written[split])
        grey = {image.tobytes() for image in written["images"][split]}
        for e in examples:
            image = e["image"].numpy()
            assert image.shape == (28, 28, 3) and image.dtype == np.uint8
            assert (image == image[..., :1]).all() and image[..., 0].tobytes() in grey
    assert fashion_mnist.source("minival", data_dir)[1] == 2
    assert fashion_mnist.source("train_minus_minival", data_dir)[1] == NUM_TRAIN - 2


def test_evaluation_batches_are_the_whole_images(prepared):
    data_dir, _ = prepared
    originals = [e["image"].numpy() for e in fashion_mnist.source("test", data_dir)[0]]
    ds, count = make_dataset("fashion_mnist", "test", data_dir=data_dir, training=False, input_size=28,
                             batch_size=4, deterministic=True)
    images = np.concatenate([batch[0].numpy() for batch in ds])
    assert count == NUM_TEST and images.shape == (NUM_TEST, 28, 28, 3)
    np.testing.assert_allclose(images, np.stack(originals) / 255.0, atol=1e-6)


def test_what_was_verified_is_in_the_builders_metadata(prepared):
    data_dir, written = prepared
    record = fashion_mnist.provenance(data_dir)
    assert record["content"]["idx_sha256"] == written["sha256"] and record["matches_recorded_sha256"] is False
    assert record["content"]["source"] == tfds_source.manual_dir(data_dir) and record["content"]["verified_at"]
    folder = fashion_mnist.make_builder(data_dir).data_dir
    with open(os.path.join(folder, "metadata.json")) as f:  # written by TFDS with dataset_info.json
        assert json.load(f)[fashion_mnist.VERIFIED] == record["content"]


def test_tfds_alone_refuses_the_files_our_builder_verifies(tmp_path, prepared):
    """TFDS's own builder checks the .gz bytes (here unknown to it) and is left doing so."""
    manual = tfds_source.manual_dir(prepared[0])
    with pytest.raises(tfds.download.download_manager.NonMatchingChecksumError):
        tfds.builder("fashion_mnist", data_dir=str(tmp_path)).download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=manual))


def _copy_manual(prepared, target):
    shutil.copytree(tfds_source.manual_dir(prepared[0]), target)
    return str(target)


def test_other_content_is_refused_naming_the_file_and_the_fix(tmp_path, prepared):
    manual = _copy_manual(prepared, tmp_path / "manual")
    path = os.path.join(manual, "t10k-labels-idx1-ubyte.gz")
    with gzip.open(path, "rb") as f:
        content = bytearray(f.read())
    content[-1] = (content[-1] + 1) % 10  # one label changed
    with open(path, "wb") as f:
        f.write(gzip.compress(bytes(content)))
    data_dir = str(tmp_path / "data")
    with mock.patch.object(fashion_mnist, "IDX_SHA256", prepared[1]["sha256"]):
        with pytest.raises(fashion_mnist.ContentMismatch) as error:
            fashion_mnist.prepare(data_dir, manual)
    message = str(error.value)
    assert "\n" not in message and path in message and hashlib.sha256(content).hexdigest() in message
    assert prepared[1]["sha256"]["t10k-labels-idx1-ubyte"] in message and "replace it with the original" in message
    assert not fashion_mnist.make_builder(data_dir).is_prepared()


def test_the_recorded_checksums_refuse_the_tiny_files(tmp_path, prepared):
    """Without the test's stand-in checksums, the recorded (real) ones reject other content."""
    manual = _copy_manual(prepared, tmp_path / "manual")
    with pytest.raises(fashion_mnist.ContentMismatch, match="train-images-idx3-ubyte.gz decompresses to content"):
        fashion_mnist.prepare(str(tmp_path / "data"), manual)


def test_missing_files_are_named_with_both_routes(tmp_path, prepared):
    manual = _copy_manual(prepared, tmp_path / "manual")
    os.remove(os.path.join(manual, "train-labels-idx1-ubyte.gz"))
    with pytest.raises(FileNotFoundError, match=r"train-labels-idx1-ubyte\.gz missing in .*"
                                                r"dataset-fashion-mnist.*tfds build fashion_mnist"):
        fashion_mnist.prepare(str(tmp_path / "data"), manual)


def test_unprepared_dataset_says_how_to_prepare(tmp_path, prepared):
    manual = _copy_manual(prepared, tmp_path / "data" / "downloads" / "manual")
    assert os.path.isdir(manual)
    with pytest.raises(FileNotFoundError, match="prepare_data.py --dataset fashion_mnist"):
        fashion_mnist.source("train", str(tmp_path / "data"))


def test_our_builder_stores_what_tfds_own_builder_stores(prepared, tmp_path):
    # TFDS's unmodified fashion_mnist builder, prepared from the same files (its .gz checksums, which
    # these cannot have, and its counts patched): features, version, split sizes and every example
    # (label, PNG bytes, in order) must be identical, so that a folder prepared by either reads the same.
    data_dir, written = prepared
    theirs = mnist.FashionMNIST(data_dir=str(tmp_path))
    with mock.patch.object(tfds.download.DownloadManager, "_register_or_validate_checksums"), \
            testing.fashion_mnist_sizes(written):
        theirs.download_and_prepare(download_config=tfds.download.DownloadConfig(
            manual_dir=tfds_source.manual_dir(data_dir)))
    testing.assert_stores_what_tfds_stores(fashion_mnist.make_builder(data_dir), theirs, ("train", "test"))
    assert theirs.info.splits["train"].num_examples == len(written["train"])
    # Read as ours, TFDS's folder says nothing of its content: not checked, rather than "does not match".
    record = fashion_mnist.provenance(str(tmp_path))
    assert record["matches_recorded_sha256"] is None and "idx_sha256" not in record["content"]


REAL = fashion_mnist.DEBIAN_DIR
NO_REAL = f"Debian's Fashion-MNIST files are not in {REAL} (apt-get install dataset-fashion-mnist)"


@pytest.mark.skipif(not os.path.isdir(REAL), reason=NO_REAL)
def test_real_files_have_the_recorded_content_and_counts(tmp_path):
    extracted = {}
    for key, name in fashion_mnist.FILES.items():
        extracted[key] = str(tmp_path / name)
        with gzip.open(os.path.join(REAL, name + ".gz"), "rb") as f, open(extracted[key], "wb") as out:
            shutil.copyfileobj(f, out)
    assert fashion_mnist.verify(extracted, REAL) == fashion_mnist.IDX_SHA256  # raises at the first mismatch
    # The recorded content holds as many examples as TFDS's builder reads (IDX headers: magic, count).
    headers = {}
    for key, path in extracted.items():
        with open(path, "rb") as f:
            header = f.read(8)
        headers[key] = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")
    train, test = mnist._TRAIN_EXAMPLES, mnist._TEST_EXAMPLES
    assert headers == {"train_data": (2051, train), "train_labels": (2049, train), "test_data": (2051, test),
                       "test_labels": (2049, test)}


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir(REAL), reason=NO_REAL)
def test_real_files_prepare_through_the_builder(tmp_path):
    builder = fashion_mnist.prepare(str(tmp_path), REAL)
    assert {k: v.num_examples for k, v in builder.info.splits.items()} == {"train": 60_000, "test": 10_000}
    assert fashion_mnist.source("minival", str(tmp_path))[1] == 6_000
    labels = [int(e["label"]) for e in fashion_mnist.source("test", str(tmp_path))[0]]
    assert np.bincount(labels).tolist() == [1_000] * 10  # the published test set: 1,000 per class
    image = next(iter(fashion_mnist.source("test", str(tmp_path))[0]))["image"]
    assert image.shape == (28, 28, 3) and image.dtype == tf.uint8
