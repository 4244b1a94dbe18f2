"""Imagenette (fast.ai): 10 easy ImageNet classes at full size, through TFDS's `imagenette` builder.

A small-compute stand-in for ImageNet (configs/imagenette/, docs/your-data.md): the same
photos, crops and pre-resize, 10 classes, 9,469 training and 3,925 validation images
(the "v2" split of December 2019). The builder config is `full-size-v2`
(imagenette2.tgz, 1.56 GB), since the 368-pixel resizer input needs images larger than
the 320px variant's shorter side. TFDS downloads it on
`python scripts/prepare_data.py --dataset imagenette` (the network is needed once), or
takes a hand-downloaded imagenette2.tgz of the registered checksum from
`<data_dir>/downloads/manual/`.

Imagewoof (10 dog breeds, same format) has no TFDS builder: extract imagewoof2.tgz and
prepare its train/ and val/ folders as an image folder (resizer.datasets.image_folder).

Splits: `train`, `validation` (the evaluation set), `minival` (the last 10% of train) and
`train_minus_minival` (the other 90%).
"""

from __future__ import annotations

from resizer.data import tfds_source
from resizer.data.registry import DatasetInfo

NAME = "imagenette"
TFDS_NAME = "imagenette/full-size-v2"
ARCHIVE = "imagenette2.tgz"
MINIVAL_PERCENT = 10

INFO = DatasetInfo(
    name=NAME, task="classification", num_classes=10, interpolation="bilinear",
    splits=("train", "validation", "minival", "train_minus_minival"),
    train_split="train", eval_split="validation", selection_split="minival",
    train_crop="inception", eval_crop="central", eval_fraction=0.875,
)


def check_manual_dir(manual):
    """Nothing is required by hand: TFDS downloads imagenette2.tgz when it is not in `manual`."""
    del manual


split_range = tfds_source.held_out_split_range(INFO, MINIVAL_PERCENT)


DATASET = tfds_source.TfdsDataset(
    name=NAME, make_builder=tfds_source.named_builder(TFDS_NAME), check_manual=check_manual_dir,
    split_range=split_range, to_example=tfds_source.image_and_label,
    prepare_hint=" (downloads imagenette2.tgz, 1.56 GB, unless it is in <data_dir>/downloads/manual/)",
)


def source(split, data_dir=None, **options):
    """(un-batched {"image" JPEG bytes or uint8, "label"} examples, count); see TfdsDataset.source."""
    return DATASET.source(split, data_dir, **options)


def prepare(data_dir=None, manual=None):
    """Downloads (or takes from the manual directory) and prepares imagenette/full-size-v2."""
    return DATASET.prepare(data_dir, manual)
