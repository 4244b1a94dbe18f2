"""Reading prepared TFDS datasets the way the pipeline needs, and the checks before preparing.

Where data lives: `data_dir` (the --data_dir flag), else $RESIZER_DATA_DIR, else
$TFDS_DATA_DIR, else ~/tensorflow_datasets. Prepared datasets are TFDS directories
`<data_dir>/<name>/<version>/`; files a user downloads by hand go to
`<data_dir>/downloads/manual/` (WORKSPACE.md lists them per dataset).

Preparing is never implicit: a training run on an unprepared dataset stops with the
command that prepares it (`scripts/prepare_data.py`), after checking the hand-downloaded
files, so a missing file is named before any training starts.
"""

from __future__ import annotations

import dataclasses
import os
import tarfile
from typing import Callable, Optional

import tensorflow as tf
from absl import logging

from resizer.files import is_remote

ENV_DATA_DIR = "RESIZER_DATA_DIR"
WORKSPACE = "WORKSPACE.md"


def resolve_data_dir(data_dir=None):
    """The data directory: the argument, else $RESIZER_DATA_DIR, $TFDS_DATA_DIR, ~/tensorflow_datasets."""
    chosen = data_dir or os.environ.get(ENV_DATA_DIR) or os.environ.get("TFDS_DATA_DIR") or "~/tensorflow_datasets"
    if is_remote(chosen):  # abspath would turn gs://b/d into <cwd>/gs:/b/d
        return chosen
    return os.path.abspath(os.path.expanduser(chosen))


def manual_dir(data_dir):
    """Where hand-downloaded files go (TFDS's convention)."""
    return os.path.join(resolve_data_dir(data_dir), "downloads", "manual")


def _missing(dataset, path, problem):
    return FileNotFoundError(
        f"{dataset}: {path} {problem}. WORKSPACE.md (section '{dataset}') says which files go where; "
        f"point at another data directory with --data_dir or ${ENV_DATA_DIR}.")


def require_file(dataset, path, tar=False):
    """Raises FileNotFoundError naming `path` if it is missing, empty or (tar=True) not a tar archive."""
    if not os.path.isfile(path):
        raise _missing(dataset, path, "is missing")
    if os.path.getsize(path) == 0:
        raise _missing(dataset, path, "is empty (an interrupted download?)")
    if tar:
        _check_tar(dataset, path)


def _check_tar(dataset, path):
    """Reads every member header (cheap: a seek each) so that a cut-off download is caught here
    rather than hours into preparing; TFDS would otherwise stop, or silently stop early."""
    size = os.path.getsize(path)
    try:
        with tarfile.open(path, "r:") as archive:
            last = None
            for last in archive:
                pass
    except (tarfile.TarError, OSError) as e:
        raise _missing(dataset, path, f"is not a readable tar archive ({e}; an interrupted download?)") from e
    if last is None:
        raise _missing(dataset, path, "is not a readable tar archive (no members)")
    if last.offset_data + last.size > size:
        raise _missing(dataset, path, f"is truncated ({size} bytes, its last member ends at byte "
                                      f"{last.offset_data + last.size}; an interrupted download?)")


def require_dir(dataset, path):
    if not os.path.isdir(path):
        raise _missing(dataset, path, "is missing (a directory)")


@dataclasses.dataclass(frozen=True)
class SplitRange:
    """Examples [start, stop) of a prepared TFDS split: how every logical split is defined."""

    tfds_split: str
    start: int
    stop: int

    def __post_init__(self):
        if not 0 <= self.start <= self.stop:
            raise ValueError(f"bad range {self.start}:{self.stop} of split {self.tfds_split!r}")

    @property
    def size(self):
        return self.stop - self.start

    @property
    def spec(self):
        """The TFDS split string, e.g. 'train[1268356:1281167]'."""
        return f"{self.tfds_split}[{self.start}:{self.stop}]"

    def part(self, offset, count=None):
        """The sub-range of `count` examples from `offset` (relative), clipped to this range."""
        start = min(self.start + offset, self.stop)
        stop = self.stop if count is None else min(start + count, self.stop)
        return SplitRange(self.tfds_split, start, stop)


def read(builder, split_range, *, decode=True, shuffle_files=False, seed=None, input_context=None):
    """`builder.as_dataset` of one SplitRange.

    decode=False leaves the image as its encoded bytes (the pipeline decodes only the crop).
    Examples carry TFDS's "tfds_id" (file and position: stable across runs and sharding).
    With an `input_context` of several input pipelines, each pipeline reads a disjoint set
    of files (TFDS file sharding); a range stored in fewer files than pipelines falls back
    to example-level sharding (`Dataset.shard`).
    """
    import tensorflow_datasets as tfds

    decoders = None if decode else {"image": tfds.decode.SkipDecoding()}

    def as_dataset(context):
        config = tfds.ReadConfig(shuffle_seed=seed, input_context=context, try_autocache=False, add_tfds_id=True)
        return builder.as_dataset(split=split_range.spec, shuffle_files=shuffle_files, decoders=decoders,
                                  read_config=config)

    if input_context is None or input_context.num_input_pipelines == 1:
        return as_dataset(None)
    try:
        return as_dataset(input_context)
    except ValueError as e:
        if "shard" not in str(e):
            raise
        logging.info("%s: %s has too few files for %d input pipelines; sharding by example.",
                     builder.name, split_range.spec, input_context.num_input_pipelines)
        return as_dataset(None).shard(input_context.num_input_pipelines, input_context.input_pipeline_id)


def named_builder(name):
    """make_builder for a dataset that TFDS ships (imagenet2012, cifar10)."""

    def make_builder(data_dir):
        import tensorflow_datasets as tfds

        return tfds.builder(name, data_dir=data_dir)

    return make_builder


def image_and_label(example):
    """to_example of the classification datasets: {"image", "label" int64}."""
    return {"image": example["image"], "label": tf.cast(example["label"], tf.int64)}


def minival_ranges(train_size, percent):
    """{split: (start, stop)} of train, minival (the last `percent`%, rounded up) and
    train_minus_minival, in the TFDS-shuffled train order (big_vision's convention)."""
    cut = train_size + (-train_size * percent // 100)  # floor of the negative: the size is rounded up
    return {"train": (0, train_size), "minival": (cut, train_size), "train_minus_minival": (0, cut)}


def logical_split(dataset_info, split, stored, ranges):
    """The SplitRange of `split` from its {split: (start, stop)} table; ValueError if unknown."""
    if split not in ranges:
        raise ValueError(f"{dataset_info.name} has no split {split!r}; expected one of "
                         f"{', '.join(dataset_info.splits)}.")
    return SplitRange(stored, *ranges[split])


def held_out_split_range(dataset_info, percent, train="train"):
    """split_range(split, sizes) of a dataset stored as `train` and its eval split: the eval split
    whole, and train with minival (its last `percent`%) and train_minus_minival (minival_ranges)."""
    held_out = dataset_info.eval_split

    def split_range(split, sizes):
        stored = held_out if split == held_out else train
        if stored not in sizes:
            raise ValueError(f"{dataset_info.name}: the prepared dataset has no {stored!r} split (it has "
                             f"{sorted(sizes)}); prepare it again with every file it needs in place ({WORKSPACE}).")
        ranges = {held_out: (0, sizes[stored])} if stored == held_out else minival_ranges(sizes[stored], percent)
        return logical_split(dataset_info, split, stored, ranges)

    return split_range


def example_key(tfds_id):
    """An int64 that names an example independently of read order (seeds its evaluation noise)."""
    return tf.strings.to_hash_bucket_fast(tfds_id, 2**62)


@dataclasses.dataclass(frozen=True)
class TfdsDataset:
    """A dataset stored by TFDS: how to build, check, prepare and read it.

    make_builder(data_dir) -> a tfds builder; check_manual(manual_dir) raises
    FileNotFoundError naming a missing hand-downloaded file; split_range(split, sizes,
    **options) -> SplitRange, where sizes maps TFDS split names to example counts;
    to_example(example) -> the example as `source` yields it. always_decode: the images are
    stored re-encoded (PNG), so `source` decodes them whatever its `decode` says.
    """

    name: str
    make_builder: Callable
    check_manual: Callable
    split_range: Callable
    to_example: Callable
    prepare_hint: str = ""
    default_manual_dir: Optional[Callable] = None
    always_decode: bool = False

    def manual_dir(self, data_dir, manual=None):
        if manual:
            return os.path.abspath(os.path.expanduser(manual))
        return (self.default_manual_dir or manual_dir)(resolve_data_dir(data_dir))

    def prepared_builder(self, data_dir, manual=None):
        """The builder of a prepared dataset, or FileNotFoundError saying what to do."""
        data_dir = resolve_data_dir(data_dir)
        builder = self.make_builder(data_dir)
        if builder.is_prepared():
            return builder
        self.check_manual(self.manual_dir(data_dir, manual))
        raise FileNotFoundError(
            f"{self.name} is not prepared in {data_dir} yet (the hand-downloaded files are in place). "
            f"Prepare it once with: python scripts/prepare_data.py --dataset {self.name} --data_dir {data_dir}"
            f"{self.prepare_hint}. See {WORKSPACE}.")

    def prepare(self, data_dir, manual=None):
        """Prepares the TFDS dataset from the hand-downloaded files (no network); returns the builder."""
        import tensorflow_datasets as tfds

        data_dir = resolve_data_dir(data_dir)
        builder = self.make_builder(data_dir)
        if builder.is_prepared():
            logging.info("%s is already prepared in %s", self.name, builder.data_dir)
            return builder
        manual = self.manual_dir(data_dir, manual)
        self.check_manual(manual)
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=manual))
        return builder

    def split_sizes(self, builder):
        return {name: split.num_examples for name, split in builder.info.splits.items()}

    def source(self, split, data_dir=None, *, decode=True, shuffle_files=False, seed=None, input_context=None,
               num_examples=None, skip=0, manual=None, **options):
        """(dataset of un-batched examples, number of examples) of a logical split.

        num_examples: only the first N examples; skip: start after the first `skip` (both in
        the stored order). Examples also carry "key" (see example_key).
        """
        builder = self.prepared_builder(data_dir, manual)
        split_range = self.split_range(split, self.split_sizes(builder), **options)
        if num_examples or skip:
            split_range = split_range.part(skip, num_examples or None)
        if split_range.size == 0:
            raise ValueError(f"{self.name} split {split!r} is empty ({split_range.spec}).")
        ds = read(builder, split_range, decode=decode or self.always_decode, shuffle_files=shuffle_files, seed=seed,
                  input_context=input_context)
        return ds.map(lambda example: {**self.to_example(example), "key": example_key(example["tfds_id"])}), \
            split_range.size
