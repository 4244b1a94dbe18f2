"""ImageNet through the real TFDS imagenet2012 builder, prepared offline from tiny fake tars."""

import os
import tarfile

import numpy as np
import pytest

from resizer.data import make_dataset, testing, tfds_source
from resizer.datasets import imagenet2012 as imagenet


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("imagenet"))
    expected = testing.prepared_imagenet(data_dir, num_classes=3, per_class=4, num_val=6)
    return data_dir, expected


def _label_ids(synsets):
    names = testing.imagenet_synsets(1000)
    return sorted(names.index(s) for s in synsets)


def test_validation_labels_come_from_tfds_bundled_list(prepared):
    data_dir, expected = prepared
    ds, count = imagenet.source("validation", data_dir)
    labels = sorted(int(e["label"]) for e in ds)
    assert count == 6
    assert labels == _label_ids(expected["validation"].values())


def test_train_images_and_labels(prepared):
    data_dir, expected = prepared
    ds, count = imagenet.source("train", data_dir)
    examples = list(ds)
    assert count == len(examples) == 12
    assert sorted(int(e["label"]) for e in examples) == _label_ids(expected["train"].values())
    assert all(e["image"].dtype.name == "uint8" and tuple(e["image"].shape) == (48, 64, 3) for e in examples)


def test_minival_is_carved_from_train(prepared):
    data_dir, _ = prepared
    keys = {s: [int(e["key"]) for e in imagenet.source(s, data_dir)[0]]
            for s in ("train", "minival", "train_minus_minival")}
    assert len(keys["minival"]) == 1  # ceil(1% of 12)
    assert set(keys["minival"]).isdisjoint(keys["train_minus_minival"])
    assert sorted(keys["minival"] + keys["train_minus_minival"]) == sorted(keys["train"])


def test_undecoded_source_gives_jpeg_bytes_and_first_n(prepared):
    data_dir, _ = prepared
    ds, count = imagenet.source("train", data_dir, decode=False, num_examples=5)
    images = [e["image"].numpy() for e in ds]
    assert count == len(images) == 5
    assert all(image[:3] == b"\xff\xd8\xff" for image in images)


def test_pipeline_batches(prepared):
    data_dir, _ = prepared
    ds, count = make_dataset("imagenet2012", "validation", data_dir=data_dir, training=False, input_size=40,
                             batch_size=4)
    batches = list(ds)
    assert count == 6 and [tuple(x.shape) for x, _ in batches] == [(4, 40, 40, 3), (2, 40, 40, 3)]
    assert batches[0][1].dtype.name == "int32"
    assert all(0.0 <= float(np.min(x)) and float(np.max(x)) <= 1.0 for x, _ in batches)


def test_missing_manual_file_is_named_before_anything_runs(tmp_path):
    manual = tfds_source.manual_dir(str(tmp_path))
    testing.write_imagenet_manual(manual, num_classes=1, per_class=1, num_val=1)
    os.remove(os.path.join(manual, imagenet.VAL_TAR))
    for call in (lambda: imagenet.prepare(str(tmp_path)),
                 lambda: make_dataset("imagenet2012", "train", data_dir=str(tmp_path), training=True,
                                      input_size=32, batch_size=2)):
        with pytest.raises(FileNotFoundError, match=r"ILSVRC2012_img_val\.tar is missing.*WORKSPACE\.md"):
            call()
    assert not os.path.exists(os.path.join(str(tmp_path), "imagenet2012", "5.1.0", "dataset_info.json"))


def _middle_of_last_member(path):
    with tarfile.open(path) as archive:
        last = archive.getmembers()[-1]
    return last.offset_data + last.size // 2


@pytest.mark.parametrize("keep, message", [(0, "is empty"), (100, "is not a readable tar"),
                                           (None, "is (truncated|not a readable tar)")])
def test_partial_download_is_refused(tmp_path, keep, message):
    manual = tfds_source.manual_dir(str(tmp_path))
    testing.write_imagenet_manual(manual, num_classes=2, per_class=1, num_val=1)
    path = os.path.join(manual, imagenet.TRAIN_TAR)
    keep = _middle_of_last_member(path) if keep is None else keep
    with open(path, "r+b") as f:
        f.truncate(keep)
    with pytest.raises(FileNotFoundError, match=rf"ILSVRC2012_img_train\.tar {message}"):
        imagenet.prepare(str(tmp_path))


def test_unprepared_dataset_says_how_to_prepare(tmp_path):
    testing.write_imagenet_manual(tfds_source.manual_dir(str(tmp_path)), num_classes=1, per_class=1, num_val=1)
    with pytest.raises(FileNotFoundError, match=r"scripts/prepare_data\.py --dataset imagenet2012"):
        imagenet.source("train", str(tmp_path))


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(tfds_source.ENV_DATA_DIR, str(tmp_path))
    assert tfds_source.resolve_data_dir(None) == str(tmp_path)
    assert tfds_source.resolve_data_dir("/elsewhere") == "/elsewhere"


def test_unknown_split(prepared):
    with pytest.raises(ValueError, match="no split 'test'.*minival"):
        imagenet.source("test", prepared[0])


def test_fake_train_tar_has_the_real_structure(tmp_path):
    testing.write_imagenet_manual(str(tmp_path), num_classes=2, per_class=1, num_val=1)
    with tarfile.open(tmp_path / imagenet.TRAIN_TAR) as outer:
        assert outer.getnames() == [f"{s}.tar" for s in testing.imagenet_synsets(2)]


def test_split_sizes_of_the_real_dataset():
    sizes = {"train": 1_281_167, "validation": 50_000}
    assert imagenet.split_range("minival", sizes).size == 12_812
    assert imagenet.split_range("train_minus_minival", sizes).size == 1_268_355
    assert imagenet.split_range("validation", sizes).spec == "validation[0:50000]"
    assert imagenet.split_range("train", sizes).spec == "train[0:1281167]"
    with pytest.raises(ValueError, match=r"^imagenet2012: the prepared dataset has no 'validation' split"):
        imagenet.split_range("validation", {"train": 10})
    with pytest.raises(ValueError, match="has no split 'test'"):
        imagenet.split_range("test", sizes)


def test_our_checked_builder_stores_what_tfds_own_builder_stores(prepared, tmp_path):
    # TFDS's unmodified imagenet2012 builder, prepared from the same tars: every example (file name,
    # label, JPEG bytes) and the split sizes must be identical, so that a dataset prepared by either
    # reads the same (only the metadata's "skipped" record is ours).
    import tensorflow_datasets as tfds
    from tensorflow_datasets.datasets.imagenet2012 import imagenet2012_dataset_builder as tfds_imagenet

    data_dir, _ = prepared
    theirs = tfds_imagenet.Builder(data_dir=str(tmp_path))
    theirs.download_and_prepare(download_config=tfds.download.DownloadConfig(
        manual_dir=tfds_source.manual_dir(data_dir)))
    testing.assert_stores_what_tfds_stores(imagenet.make_builder(data_dir), theirs, ("train", "validation"))
