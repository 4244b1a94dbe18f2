"""Datasets that users prepare from their own files (resizer.datasets.image_folder, iqa_csv).

Each is prepared once under a short name and is then known as `<kind>/<name>` (e.g.
`image_folder/flowers`): `registry.module("image_folder/flowers")` is a `Named` dataset
with the `source`, `prepare` and `info` of a dataset module, and its DatasetInfo comes from
the prepared data (classes, splits), not from code. The TFDS builder stores it as a
builder config named <name>: `<data_dir>/<builder name>/<name>/<version>/`.

The training scripts take `--dataset=<kind> --dataset_name=<name>`; `resolve_flags` fills
the flags the prepared data decides (task, num_classes, train and evaluation split) and
refuses an explicit flag that contradicts it.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Callable

from absl import logging

from resizer.data import image_files, registry, tfds_source

KINDS = ("image_folder", "iqa_csv")  # the dataset kinds that take --dataset_name
TRAIN_SPLITS = ("train", "training")
EVAL_SPLITS = ("test", "validation", "val", "valid")  # the first one present is evaluated
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")  # it names a directory (a TFDS config)


def dataset_id(kind, name):
    return f"{kind}/{name}"


def check_name(kind, name):
    if not name:
        raise ValueError(f"--dataset={kind} needs --dataset_name=<the --name it was prepared with> "
                         f"(scripts/prepare_data.py --dataset={kind} --name=...)")
    if not _NAME.match(name):
        raise ValueError(f"dataset name {name!r}: use lower-case letters, digits, '_' and '-', starting with a "
                         "letter or digit (it names a directory)")
    return name


def train_and_eval_splits(kind, splits):
    """(train split, evaluation split, selection split or None) of a prepared dataset's split names;
    ValueError when there is no train split or no split to evaluate on."""
    train = next((s for s in TRAIN_SPLITS if s in splits), None)
    evaluation = [s for s in EVAL_SPLITS if s in splits]
    if train is None or not evaluation:
        raise ValueError(f"{kind}: needs a training split ({' or '.join(TRAIN_SPLITS)}) and one to evaluate on "
                         f"({', '.join(EVAL_SPLITS)}); found {', '.join(sorted(splits)) or 'none'}")
    selection = evaluation[1] if len(evaluation) > 1 else None
    return train, evaluation[0], selection


class AnyConfigName:
    """Mixin of the user datasets' TFDS builders: one builder config per prepared name, made on
    request (a config TFDS does not know would log "Using custom data configuration" at every
    read). Builders are then made with config=<name>."""

    _made = {}

    @classmethod
    def get_builder_config(cls, name, version=None):
        import tensorflow_datasets as tfds

        del version  # one version per builder
        return AnyConfigName._made.setdefault((cls.__name__, name), tfds.core.BuilderConfig(name=name))


@dataclasses.dataclass(frozen=True)
class Kind:
    """One kind of user dataset.

    make_builder(name, data_dir, **prepare_options) -> its TFDS builder (options only when preparing);
    check_prepare(manual_dir, **prepare_options) -> what the builder needs, raising ValueError
    before anything is written; make_info(dataset_id, builder) -> DatasetInfo;
    to_example(example) -> the example as `source` yields it; usage: the prepare command's
    arguments besides --dataset and --name; describe(builder) -> lines saying what was prepared.
    """

    name: str
    make_builder: Callable
    check_prepare: Callable
    make_info: Callable
    to_example: Callable
    usage: str
    describe: Callable

    def named(self, name):
        return Named(self, check_name(self.name, name))

    def info(self, data_dir=None):
        """A kind without a name has no info: the error says how to name it."""
        check_name(self.name, "")


# (dataset id, resolved data_dir) -> (prepared builder, _stamp of its folder). Reading a
# user dataset's DatasetInfo needs its builder, and a training run asks a dozen times.
_PREPARED = {}


def _stamp(builder):
    """When the builder's dataset_info.json was written (None: gone), so that a folder deleted or
    prepared again (in any process) is never read through an old builder."""
    import tensorflow as tf

    try:
        return tf.io.gfile.stat(os.path.join(builder.data_dir, "dataset_info.json")).mtime_nsec
    except tf.errors.NotFoundError:
        return None


class _Stored(tfds_source.TfdsDataset):
    """A TfdsDataset whose missing preparation names the user's own prepare command."""

    def prepared_builder(self, data_dir, manual=None):
        key = (self.name, tfds_source.resolve_data_dir(data_dir))
        cached = _PREPARED.get(key)
        if cached is not None and cached[1] is not None and _stamp(cached[0]) == cached[1]:
            return cached[0]
        builder = self.make_builder(key[1])
        if builder.is_prepared():
            _PREPARED[key] = builder, _stamp(builder)
            return builder
        raise FileNotFoundError(
            f"{self.name} is not prepared in {tfds_source.resolve_data_dir(data_dir)}. Prepare it once with: "
            f"python scripts/prepare_data.py {self.prepare_hint} (docs/your-data.md), or point --data_dir at the "
            "data directory it was prepared in.")


def _split_range(kind_name):
    def split_range(split, sizes):
        if split not in sizes:
            raise ValueError(f"{kind_name} has no split {split!r}; it has {', '.join(sorted(sizes))}.")
        return tfds_source.SplitRange(split, 0, sizes[split])

    return split_range


@dataclasses.dataclass(frozen=True)
class Named:
    """A user dataset of one kind and name: what registry.module returns for `<kind>/<name>`."""

    kind: Kind
    name: str

    @property
    def dataset_id(self):
        return dataset_id(self.kind.name, self.name)

    def _stored(self):
        return _Stored(name=self.dataset_id, make_builder=lambda data_dir: self.kind.make_builder(self.name, data_dir),
                       check_manual=None, split_range=_split_range(self.dataset_id), to_example=self.kind.to_example,
                       prepare_hint=f"--dataset={self.kind.name} --name={self.name} {self.kind.usage}")

    @property
    def DATASET(self):  # noqa: N802  (what a TFDS dataset module calls its TfdsDataset; the cache looks for it)
        return self._stored()

    def builder(self, data_dir=None):
        """The builder of the prepared dataset, or FileNotFoundError with the command that prepares it."""
        return self._stored().prepared_builder(data_dir)

    def info(self, data_dir=None):
        return self.kind.make_info(self.dataset_id, self.builder(data_dir))

    def report(self, builder):
        """The lines scripts/prepare_data.py prints: skipped files per split and reason, and the kind's own."""
        return image_files.report_lines(self.dataset_id, builder.info.metadata) + self.kind.describe(builder)

    def source(self, split, data_dir=None, **options):
        """(un-batched examples, count) of one split; options as tfds_source.TfdsDataset.source."""
        return self._stored().source(split, data_dir, **options)

    def prepare(self, data_dir=None, manual=None, **options):
        """Checks the user's files (ValueError before anything is written), then prepares; returns
        the builder. A name already prepared is left as it is (delete its directory to redo it)."""
        import tensorflow_datasets as tfds

        if not manual:
            raise ValueError(f"{self.kind.name}: --manual_dir must name {self.kind.usage}")
        data_dir = tfds_source.resolve_data_dir(data_dir)
        existing = self.kind.make_builder(self.name, data_dir)
        if existing.is_prepared():
            logging.warning("%s is already prepared in %s; delete that directory to prepare it again.",
                            self.dataset_id, existing.data_dir)
            return existing
        plan = self.kind.check_prepare(manual, **options)
        builder = self.kind.make_builder(self.name, data_dir, plan=plan)
        _PREPARED.pop((self.dataset_id, data_dir), None)
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=manual))
        return builder


def resolve_flags(values, explicit):
    """The flag values with those a prepared user dataset decides filled in.

    values: {flag: value} of every run flag; explicit: the flags given on the command line or
    in a flag file. For --dataset in KINDS, task, num_classes (classification), train_split
    and eval_split come from the prepared data unless given; an explicit task or num_classes
    that differs is a ValueError naming both. Other datasets pass through (light: no import).
    """
    dataset, name = values.get("dataset"), values.get("dataset_name") or ""
    if dataset not in KINDS:
        if name:
            raise ValueError(f"--dataset_name: only {' and '.join(KINDS)} take a name, not --dataset={dataset}")
        return values
    try:
        check_name(dataset, name)
        info = registry.info(dataset_id(dataset, name), values.get("data_dir") or None)
    except (ValueError, FileNotFoundError) as e:
        raise ValueError(f"--dataset_name: {e}") from None
    decided = {"task": info.task, "train_split": info.train_split, "eval_split": info.eval_split}
    if info.task == "classification":
        decided["num_classes"] = info.num_classes
    values = dict(values)
    for flag, value in decided.items():
        if flag not in explicit:
            values[flag] = value
        elif flag in ("task", "num_classes") and values[flag] != value:
            raise ValueError(f"--{flag}={values[flag]} does not match the prepared dataset {info.name}, which has "
                             f"{flag} {value}; leave --{flag} out (it follows the data) or prepare another dataset")
    return values
