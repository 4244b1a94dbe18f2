"""Classification from a user's image folders: `<root>/<split>/<class name>/<image file>`.

    python scripts/prepare_data.py --dataset=image_folder --manual_dir=<root> --name=<name>
    python scripts/train.py --dataset=image_folder --dataset_name=<name> --backbone=... --resizer=...

Splits are the folders under <root> (`train/` and `test/` or `validation/`; docs/your-data.md);
classes are the sub-folders of `train/`, sorted by name (label i = the i-th name), their
count sets --num_classes. Image files are found at any depth inside a class folder by their
extension (resizer.data.image_files.IMAGE_EXTENSIONS: JPEG, PNG, BMP, GIF, any case).

Why a builder of our own and not TFDS's `tfds.folder_dataset.ImageFolder`: that one reads
the image files at training time (a bad file fails training mid-way instead of being
skipped when preparing), lists .jpg/.jpeg/.png only (no BMP, GIF), and gives no count of
what it ignored. This GeneratorBasedBuilder decodes every file once while preparing, keeps
the good ones, and skips and counts the others by reason (image_files). It stores JPEGs as
they are and every other image decoded to RGB (grey expanded, alpha dropped, a GIF's first
frame) and re-encoded as JPEG (quality 95, TFDS's default), so the input pipeline decodes
only the crop window of every image, as for ImageNet. EXIF orientation tags are not applied.
Stored at `<data_dir>/resizer_image_folder/<name>/1.0.0/`, with the class names
(label.labels.txt) and in metadata.json the source folder, the skipped files per split and
reason, and the kept images per class.
"""

from __future__ import annotations

import collections
import dataclasses
import os

import tensorflow_datasets as tfds
from absl import logging

from resizer.data import image_files, tfds_source, user_data
from resizer.data.registry import DatasetInfo

NAME = "image_folder"
LAYOUT = "<root>/<split>/<class name>/<image file>"
HIDDEN_FOLDER = "hidden_folder"  # a file under a dot-folder of a split folder (not a class)
OUTSIDE_CLASS = "outside_class_folder"  # a file directly in a split folder
NOT_IMAGE = "not_an_image"  # a file name without an image extension


@dataclasses.dataclass(frozen=True)
class Scan:
    """What a folder holds, listed before anything is decoded.

    files: {split: [(path relative to root, class name)]}; others: {split: {reason: [paths]}}
    of files that are not taken (no image extension, or outside a class folder).
    """

    root: str
    classes: tuple
    files: dict
    others: dict


def _folders(path):
    return sorted(e.name for e in os.scandir(path) if e.is_dir() and not e.name.startswith("."))


def _list_split(root, split):
    files, others = [], collections.defaultdict(list)
    split_dir = os.path.join(root, split)
    for entry in sorted(os.scandir(split_dir), key=lambda e: e.name):
        if not entry.is_dir():
            others[OUTSIDE_CLASS].append(os.path.join(split, entry.name))
        elif entry.name.startswith("."):  # not a class; its files are counted, not silently passed over
            others[HIDDEN_FOLDER] += [os.path.relpath(os.path.join(d, n), root)
                                      for d, _, names in os.walk(entry.path) for n in names]
    for label in _folders(split_dir):
        seen = set()
        # Linked sub-folders are followed (a user's folders often link photos in), each real
        # folder once, so that a link loop cannot recurse forever.
        for directory, subdirs, names in os.walk(os.path.join(split_dir, label), followlinks=True):
            real = os.path.realpath(directory)
            if real in seen:
                subdirs[:] = []
                continue
            seen.add(real)
            subdirs.sort()
            for file_name in sorted(names):
                path = os.path.relpath(os.path.join(directory, file_name), root)
                if file_name.lower().endswith(image_files.IMAGE_EXTENSIONS):
                    files.append((path, label))
                else:
                    others[NOT_IMAGE].append(path)
    return files, dict(others)


def scan(root):
    """The Scan of a folder; ValueError (one line, naming the fix) when it cannot make a dataset:
    not a folder, no train or evaluation split, no image files, fewer than two classes, or a
    split with classes that train/ lacks."""
    root = os.path.abspath(os.path.expanduser(root))
    if not os.path.isdir(root):
        raise ValueError(f"{NAME}: {root} is not a folder; --manual_dir takes the root of {LAYOUT}")
    splits = _folders(root)
    try:
        train, _, _ = user_data.train_and_eval_splits(NAME, splits)
    except ValueError as e:
        raise ValueError(f"{e} in {root}; the layout is {LAYOUT}") from None
    listed = {split: _list_split(root, split) for split in splits}
    files = {split: found for split, (found, _) in listed.items()}
    others = {split: other for split, (_, other) in listed.items()}
    for split in splits:
        if not files[split]:
            raise ValueError(f"{NAME}: no image files ({', '.join(image_files.IMAGE_EXTENSIONS)}) in "
                             f"{os.path.join(root, split)}; the layout is {LAYOUT}")
    classes = tuple(sorted({label for _, label in files[train]}))
    if len(classes) < 2:
        raise ValueError(f"{NAME}: {os.path.join(root, train)} has images of {len(classes)} class "
                         f"({', '.join(classes)}); classification needs at least 2 class folders")
    for split in splits:
        extra = sorted({label for _, label in files[split]} - set(classes))
        if extra:
            raise ValueError(f"{NAME}: {os.path.join(root, split)} has classes that {train}/ lacks: "
                             f"{', '.join(extra)}; add their images to {train}/ or remove them from {split}/")
    return Scan(root=root, classes=classes, files=files, others=others)


class ResizerImageFolder(user_data.AnyConfigName, tfds.core.GeneratorBasedBuilder):
    """A user's image folder, one builder config per prepared name (`plan`: its Scan, when preparing)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First version: splits and classes from the folders, bad files skipped."}

    def __init__(self, *, plan=None, **kwargs):
        self._plan = plan
        super().__init__(**kwargs)

    def _info(self):
        # Reading a prepared dataset, the class names come back from label.labels.txt.
        names = list(self._plan.classes) if self._plan else None
        return self.dataset_info_from_configs(
            description=f"A user's image folder ({LAYOUT}), prepared by resizer.datasets.image_folder.",
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(None, None, 3), encoding_format="jpeg"),
                "label": tfds.features.ClassLabel(names=names),
                "file": tfds.features.Text(),
            }),
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # the Scan has the files
        self.info.metadata.update(root=self._plan.root, classes=list(self._plan.classes),
                                  **{image_files.SKIPPED: {}, "class_counts": {}})
        return {split: self._generate_examples(split) for split in self._plan.files}

    def _generate_examples(self, split):
        skipped = collections.defaultdict(list, {k: list(v) for k, v in self._plan.others[split].items()})
        kept = collections.Counter()
        for path, label in self._plan.files[split]:
            problem, data = image_files.load_image(os.path.join(self._plan.root, path))
            if problem:
                skipped[problem].append(path)
                continue
            kept[label] += 1
            yield path, {"image": data, "label": label, "file": path}
        self.info.metadata[image_files.SKIPPED][split] = dict(skipped)
        self.info.metadata["class_counts"][split] = {label: kept[label] for label in self._plan.classes}
        logging.warning("%s %s: skipped files: %s.", NAME, split, image_files.summary(skipped))


def _make_builder(name, data_dir, plan=None):
    return ResizerImageFolder(config=name, data_dir=data_dir, plan=plan)


def _info(dataset_id, builder):
    splits = tuple(sorted(builder.info.splits))
    train, evaluation, selection = user_data.train_and_eval_splits(dataset_id, splits)
    # Photos of any size, as ImageNet: its crops and its bilinear pre-resize.
    return DatasetInfo(
        name=dataset_id, task="classification", num_classes=builder.info.features["label"].num_classes,
        interpolation="bilinear", splits=splits, train_split=train, eval_split=evaluation,
        selection_split=selection, train_crop="inception", eval_crop="central", eval_fraction=0.875)


def _describe(builder):
    counts = builder.info.metadata.get("class_counts", {})
    lines = [f"  classes ({len(builder.info.features['label'].names)}, label order): "
             + ", ".join(builder.info.features["label"].names)]
    for split, per_class in sorted(counts.items()):
        empty = [label for label, n in per_class.items() if n == 0]
        lines.append(f"  {split}: " + ", ".join(f"{label} {n}" for label, n in per_class.items())
                     + (f"  (no usable images of: {', '.join(empty)})" if empty else ""))
    return lines


KIND = user_data.Kind(name=NAME, make_builder=_make_builder, check_prepare=lambda manual: scan(manual),
                      make_info=_info, to_example=tfds_source.image_and_label,
                      usage=f"--manual_dir=<root of {LAYOUT}>", describe=_describe)
named = KIND.named
info = KIND.info


def class_names(name, data_dir=None):
    """The class names of a prepared folder, label order."""
    return list(named(name).builder(data_dir).info.features["label"].names)
