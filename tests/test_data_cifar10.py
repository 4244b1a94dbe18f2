"""CIFAR-10 through TFDS's cifar10 builder, prepared from a fake cifar-10-binary.tar.gz."""

import os

import numpy as np
import pytest
import tensorflow as tf

from resizer.data import make_dataset, testing, tfds_source
from resizer.datasets import cifar10


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("cifar10"))
    labels = testing.prepared_cifar10(data_dir, per_file=4)
    return data_dir, labels


def test_splits_hold_the_archive_labels(prepared):
    data_dir, labels = prepared
    for split, stored in (("train", "train"), ("test", "test")):
        ds, count = cifar10.source(split, data_dir)
        assert count == len(labels[stored])
        assert sorted(int(e["label"]) for e in ds) == sorted(labels[stored])
    assert cifar10.source("minival", data_dir)[1] == 2 and cifar10.source("train_minus_minival", data_dir)[1] == 18


def test_eval_upscales_the_whole_image(prepared):
    data_dir, _ = prepared
    originals = [e["image"] for e in cifar10.source("test", data_dir)[0]]
    ds, _ = make_dataset("cifar10", "test", data_dir=data_dir, training=False, input_size=96, batch_size=4,
                         deterministic=True)
    images, labels = next(iter(ds))
    assert tuple(images.shape) == (4, 96, 96, 3) and labels.dtype == tf.int32
    expected = tf.image.resize(tf.stack(originals), (96, 96), method="bilinear") / 255.0
    np.testing.assert_allclose(images.numpy(), np.clip(expected.numpy(), 0, 1), atol=1e-6)


def test_training_batches(prepared):
    ds, _ = make_dataset("cifar10", "train", data_dir=prepared[0], training=True, input_size=64, batch_size=8)
    images, labels = next(iter(ds))
    assert tuple(images.shape) == (8, 64, 64, 3) and tuple(labels.shape) == (8,)


def test_missing_archive_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cifar-10-binary\.tar\.gz is missing.*WORKSPACE\.md"):
        cifar10.prepare(str(tmp_path))
    assert not os.path.exists(tfds_source.manual_dir(str(tmp_path)))
