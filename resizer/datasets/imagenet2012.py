"""ImageNet (ILSVRC 2012) through TFDS's `imagenet2012` builder and its manual download.

Put ILSVRC2012_img_train.tar and ILSVRC2012_img_val.tar in `<data_dir>/downloads/manual/`
and run `python scripts/prepare_data.py --dataset imagenet2012` once (WORKSPACE.md).

Splits: `train` (1,281,167 images, what the paper trains on), `validation` (50,000: the
paper's evaluation set, Table 4), and for model selection `minival`, the last 1% of the
(TFDS-shuffled) training split, 12,812 images, with `train_minus_minival` the other 99%
(big_vision's convention).
"""

from __future__ import annotations

import os

from resizer.data import tfds_source
from resizer.data.registry import DatasetInfo

NAME = "imagenet2012"
TRAIN_TAR = "ILSVRC2012_img_train.tar"
VAL_TAR = "ILSVRC2012_img_val.tar"
MINIVAL_PERCENT = 1

INFO = DatasetInfo(
    name=NAME, task="classification", num_classes=1000, interpolation="bilinear",
    splits=("train", "validation", "minival", "train_minus_minival"),
    train_split="train", eval_split="validation", selection_split="minival",
    train_crop="inception", eval_crop="central", eval_fraction=0.875, flag_file="imagenet",
)


def check_manual_dir(manual):
    """FileNotFoundError naming the first missing, empty or unreadable tar of the manual download."""
    tfds_source.require_dir(NAME, manual)
    for tar in (TRAIN_TAR, VAL_TAR):
        tfds_source.require_file(NAME, os.path.join(manual, tar), tar=True)


split_range = tfds_source.held_out_split_range(INFO, MINIVAL_PERCENT)


def make_builder(data_dir):
    """TFDS's imagenet2012 builder that skips, counts and records undecodable images."""
    from resizer.data.imagenet_builder import CheckedImagenet2012

    return CheckedImagenet2012(data_dir=data_dir)


DATASET = tfds_source.TfdsDataset(
    name=NAME, make_builder=make_builder, check_manual=check_manual_dir,
    split_range=split_range, to_example=tfds_source.image_and_label,
    prepare_hint=" (about 150 GB read, 155 GB written, several hours)",
)


def source(split, data_dir=None, **options):
    """(un-batched {"image", "label"} examples, count) of one split; see TfdsDataset.source."""
    return DATASET.source(split, data_dir, **options)


def prepare(data_dir=None, manual=None):
    """Prepares imagenet2012 from the two tars (no network); returns the TFDS builder."""
    return DATASET.prepare(data_dir, manual)
