"""AVA for image quality assessment (Section 4.2): a TFDS builder over the AVA distribution.

Put the distribution's AVA_dataset/ folder (AVA.txt, images/, aesthetics_image_lists/) at
`<data_dir>/downloads/manual/AVA_dataset/` (or pass manual=... / --ava_dir) and run
`python scripts/prepare_data.py --dataset ava` once (WORKSPACE.md).

Splits: `test` (generic_test.jpgl, about 19,930 usable images), `validation` (the first
`validation_size` examples of the TFDS-shuffled train split, default 2,000: a fixed random
subset for model selection), `train` (the rest) and `train_full` (all non-test images).
Examples: {"image", "distribution" (float32, 10 bins summing to 1), "counts" (int32 votes),
"mean_score" (float32), "image_id" (int64)}.
"""

from __future__ import annotations

import os

from resizer.data import image_files, tfds_source
from resizer.datasets.ava import parsing
from resizer.data.registry import DatasetInfo

NAME = "ava"
MANUAL_SUBDIR = "AVA_dataset"
VALIDATION_SIZE = 2000

INFO = DatasetInfo(
    name=NAME, task="iqa", num_classes=parsing.NUM_SCORES, interpolation="bicubic",
    splits=("train", "validation", "test", "train_full"),
    train_split="train", eval_split="test", selection_split="validation",
    train_crop="inception", eval_crop="central", eval_fraction=0.875,
)


def check_manual_dir(root):
    """FileNotFoundError naming the first missing piece of the AVA_dataset folder."""
    from resizer.datasets.ava.builder import RATINGS_FILE, TEST_LIST

    tfds_source.require_dir(NAME, root)
    tfds_source.require_file(NAME, os.path.join(root, RATINGS_FILE))
    tfds_source.require_file(NAME, os.path.join(root, TEST_LIST))
    tfds_source.require_dir(NAME, parsing.image_dir(root))


def split_range(split, sizes, validation_size=VALIDATION_SIZE):
    n = sizes["train"]
    if split in ("train", "validation") and not 0 < validation_size < n:
        raise ValueError(f"ava: validation_size must be in [1, {n - 1}] (the train split has {n} images), "
                         f"got {validation_size}.")
    if split == "test":
        return tfds_source.SplitRange("test", 0, sizes["test"])
    ranges = {"train": (validation_size, n), "validation": (0, validation_size), "train_full": (0, n)}
    return tfds_source.logical_split(INFO, split, "train", ranges)


def _to_example(example):
    return {key: example[key] for key in ("image", "distribution", "counts", "mean_score", "image_id")}


def _make_builder(data_dir):
    from resizer.datasets.ava.builder import AvaAesthetics

    return AvaAesthetics(data_dir=data_dir)


DATASET = tfds_source.TfdsDataset(
    name=NAME, make_builder=_make_builder, check_manual=check_manual_dir, split_range=split_range,
    to_example=_to_example, prepare_hint=" (about 32 GB written, 20-40 minutes)",
    default_manual_dir=lambda data_dir: os.path.join(tfds_source.manual_dir(data_dir), MANUAL_SUBDIR),
)


def source(split, data_dir=None, **options):
    """(un-batched examples, count) of one split; options: validation_size, manual, and the
    pipeline's (decode, shuffle_files, seed, input_context, num_examples)."""
    return DATASET.source(split, data_dir, **options)


def prepare(data_dir=None, manual=None):
    """Prepares the ava_aesthetics TFDS dataset from the AVA_dataset folder; returns the builder."""
    return DATASET.prepare(data_dir, manual)


def skipped_images(data_dir=None):
    """{split: {reason: [image ids]}} of the images left out when the dataset was prepared."""
    builder = DATASET.prepared_builder(data_dir)
    return dict(builder.info.metadata.get(image_files.SKIPPED, {}))
