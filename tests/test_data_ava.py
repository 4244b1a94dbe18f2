"""The AVA builder on a generated mini-AVA in the distribution's layout."""

import os

import numpy as np
import pytest

from resizer.data import make_dataset, testing
from resizer.datasets import ava
from resizer.datasets.ava import parsing

MISSING, EMPTY, CORRUPT_TEST, CORRUPT_TRAIN = 1003, 1011, 1002, 1020
NUM_IMAGES, NUM_TEST = 30, 8


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("ava"))
    counts = testing.prepared_ava(data_dir, num_images=NUM_IMAGES, num_test=NUM_TEST, missing=(MISSING,),
                                  empty=(EMPTY,), corrupt=(CORRUPT_TEST, CORRUPT_TRAIN), absent_test_ids=(99999,))
    return data_dir, counts


def _ids(data_dir, split, **options):
    return sorted(int(e["image_id"]) for e in ava.source(split, data_dir, **options)[0])


def test_test_split_is_the_usable_part_of_the_list(prepared):
    data_dir, _ = prepared
    assert _ids(data_dir, "test") == [i for i in range(1000, 1000 + NUM_TEST) if i not in (MISSING, CORRUPT_TEST)]


def test_train_is_the_rest_and_validation_is_carved_from_it(prepared):
    data_dir, _ = prepared
    full = _ids(data_dir, "train_full")
    assert full == [i for i in range(1000 + NUM_TEST, 1000 + NUM_IMAGES) if i not in (EMPTY, CORRUPT_TRAIN)]
    validation = _ids(data_dir, "validation", validation_size=5)
    train = _ids(data_dir, "train", validation_size=5)
    assert len(validation) == 5 and set(validation).isdisjoint(train)
    assert sorted(validation + train) == full
    assert _ids(data_dir, "validation", validation_size=5) == validation  # deterministic


def test_skipped_images_are_counted_and_reported(prepared):
    skipped = ava.skipped_images(prepared[0])
    assert skipped == {"test": {"missing": [MISSING], "undecodable": [CORRUPT_TEST]},
                       "train": {"empty": [EMPTY], "undecodable": [CORRUPT_TRAIN]}}


def test_features(prepared):
    data_dir, counts = prepared
    for example in ava.source("test", data_dir)[0]:
        votes = np.asarray(counts[int(example["image_id"])])
        np.testing.assert_array_equal(example["counts"].numpy(), votes)
        np.testing.assert_allclose(example["distribution"].numpy(), votes / votes.sum(), rtol=1e-6)
        assert float(example["mean_score"]) == pytest.approx((votes * np.arange(1, 11)).sum() / votes.sum(), 1e-5)
        assert example["image"].shape[-1] == 3 and example["image"].dtype.name == "uint8"


def test_pipeline_yields_rating_distributions(prepared):
    ds, count = make_dataset("ava", "test", data_dir=prepared[0], training=False, input_size=32, batch_size=4)
    images, targets = next(iter(ds))
    assert count == NUM_TEST - 2 and tuple(images.shape) == (4, 32, 32, 3)
    assert targets.dtype.name == "float32" and tuple(targets.shape) == (4, 10)
    np.testing.assert_allclose(targets.numpy().sum(axis=1), 1.0, rtol=1e-5)


def test_validation_size_is_checked(prepared):
    with pytest.raises(ValueError, match="validation_size must be in"):
        ava.source("validation", prepared[0], validation_size=10_000)


def test_missing_ratings_file_is_named(tmp_path):
    root = ava.DATASET.manual_dir(str(tmp_path))
    testing.write_ava_manual(root, num_images=3, num_test=1)
    os.remove(os.path.join(root, "AVA.txt"))
    with pytest.raises(FileNotFoundError, match=r"AVA\.txt is missing.*WORKSPACE\.md"):
        ava.prepare(str(tmp_path))


def test_malformed_line_names_its_number(tmp_path):
    path = tmp_path / "AVA.txt"
    good = testing.ava_line(1, 10, [1] * 10)
    path.write_text(f"{good}\n{testing.ava_line(2, 11, [1] * 10)}\n3 12 1 2 3\n")
    with pytest.raises(ValueError, match=r"AVA\.txt, line 3: expected 15 integers"):
        parsing.parse_ratings(path)
    path.write_text(f"{good}\n2 11 1 1 1 x 1 1 1 1 1 1 0 0 1\n")
    with pytest.raises(ValueError, match="line 2: not all fields are integers"):
        parsing.parse_ratings(path)
    path.write_text(f"{good}\n{testing.ava_line(2, 11, [0] * 10)}\n")
    with pytest.raises(ValueError, match="line 2: vote counts"):
        parsing.parse_ratings(path)
    path.write_text(f"{good}\n{testing.ava_line(2, 10, [1] * 10)}\n")
    with pytest.raises(ValueError, match="line 2: image id 10 repeats line 1"):
        parsing.parse_ratings(path)


def test_malformed_ratings_stop_preparation(tmp_path):
    root = ava.DATASET.manual_dir(str(tmp_path))
    testing.write_ava_manual(root, num_images=3, num_test=1)
    with open(os.path.join(root, "AVA.txt"), "a") as f:
        f.write("4 1003 1 2\n")
    with pytest.raises(ValueError, match="line 4"):
        ava.prepare(str(tmp_path))


def test_rating_statistics():
    rating = parsing.Rating(1, (0, 0, 0, 0, 1, 1, 0, 0, 0, 2))
    np.testing.assert_allclose(rating.distribution, [0, 0, 0, 0, 0.25, 0.25, 0, 0, 0, 0.5])
    assert rating.mean_score == pytest.approx((5 + 6 + 20) / 4)


def test_split_ratings_reports_unrated_test_ids():
    ratings = [parsing.Rating(i, (1,) * 10) for i in (1, 2, 3)]
    train, test, unrated = parsing.split_ratings(ratings, [2, 7])
    assert [r.image_id for r in train] == [1, 3] and [r.image_id for r in test] == [2] and unrated == [7]


def test_nested_image_folder_is_found(tmp_path):
    os.makedirs(tmp_path / "images" / "images")
    assert parsing.image_dir(str(tmp_path)) == str(tmp_path / "images" / "images")
