"""CIFAR-10 through TFDS's `cifar10` builder, up-scaled by the pipeline to the resizer input.

Section 4.3 evaluates the ImageNet-trained resizer with a classifier trained on CIFAR-10.
Offline, put the original `cifar-10-binary.tar.gz` (170 MB) in `<data_dir>/downloads/manual/`
(TFDS takes a hand-downloaded file of the registered name and checks its checksum), or copy
a prepared `<data_dir>/cifar10/3.0.2/` from a machine that ran `tfds build cifar10`.

Splits: `train` (50,000), `test` (10,000: the evaluation set), `minival` (the last 10% of
train, 5,000) and `train_minus_minival` (the other 45,000).
"""

from __future__ import annotations

import os

from resizer.data import tfds_source
from resizer.data.registry import DatasetInfo

NAME = "cifar10"
ARCHIVE = "cifar-10-binary.tar.gz"
MINIVAL_PERCENT = 10

# 32x32 images: the usual CIFAR augmentation (4-pixel zero padding, random 32x32 crop,
# flip) and no evaluation crop; an Inception crop of 32 pixels would leave little to see.
INFO = DatasetInfo(
    name=NAME, task="classification", num_classes=10, interpolation="bilinear",
    splits=("train", "test", "minival", "train_minus_minival"),
    train_split="train", eval_split="test", selection_split="minival",
    train_crop="pad_crop", eval_crop="full", eval_fraction=1.0,
)


def check_manual_dir(manual):
    tfds_source.require_file(NAME, os.path.join(manual, ARCHIVE))


split_range = tfds_source.held_out_split_range(INFO, MINIVAL_PERCENT)


DATASET = tfds_source.TfdsDataset(
    name=NAME, make_builder=tfds_source.named_builder(NAME), check_manual=check_manual_dir,
    split_range=split_range, to_example=tfds_source.image_and_label, prepare_hint=" (~140 MB)",
    always_decode=True,
)


def source(split, data_dir=None, **options):
    """(un-batched {"image" uint8 32x32x3, "label"} examples, count). The images are PNG in
    TFDS, so they are always decoded (decode=False is ignored)."""
    return DATASET.source(split, data_dir, **options)


def prepare(data_dir=None, manual=None):
    """Prepares cifar10 from cifar-10-binary.tar.gz in the manual directory; returns the builder."""
    return DATASET.prepare(data_dir, manual)
