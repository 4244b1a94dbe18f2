"""Prepares a dataset from its hand-downloaded files, and optionally writes the pre-resized cache.

    python scripts/prepare_data.py --dataset imagenet2012 --data_dir /data
    python scripts/prepare_data.py --dataset imagenet2012 --data_dir /data --size 448
    python scripts/prepare_data.py --dataset ava --size 224,448 --splits train,test --format raw
    python scripts/prepare_data.py --dataset image_folder --manual_dir ~/photos --name photos
    python scripts/prepare_data.py --dataset iqa_csv --manual_dir ~/koniq/scores.csv --name koniq \
        --score_columns MOS --split_column set

image_folder and iqa_csv prepare a user's own files under --name (docs/your-data.md); the
training scripts then take --dataset=<that dataset> --dataset_name=<name>.

Without --size it only prepares the TFDS dataset (once; later calls see it is done). With
--size it also writes one cache per (split, size) under --cache_dir; an interrupted run
resumes. WORKSPACE.md lists the files, the disk space and the time each step takes.
"""

import _bootstrap  # noqa: F401

import sys
import time

from absl import app, flags

from resizer import data
from resizer.data import cache, image_files, registry, user_data

# The registry's datasets that have files to prepare: a prepare() of their own, or a user-data kind.
_DATASETS = tuple(name for name in registry.names()
                  if hasattr(registry.module(name), "prepare") or name in user_data.KINDS)

flags.DEFINE_enum("dataset", None, _DATASETS, "Dataset to prepare.")
flags.DEFINE_string("data_dir", "", "Data directory (empty: $RESIZER_DATA_DIR, $TFDS_DATA_DIR or ~/tensorflow_datasets).")
flags.DEFINE_string("manual_dir", "", "Folder of the hand-downloaded files (empty: <data_dir>/downloads/manual, "
                    "and its AVA_dataset/ for ava).")
flags.DEFINE_list("size", [], "Cache sides in pixels, e.g. 448 or 224,448 (empty: prepare only, no cache).")
flags.DEFINE_list("splits", [], "Splits to cache (empty: the dataset's train and evaluation splits).")
flags.DEFINE_string("cache_dir", "", "Cache directory (empty: $RESIZER_CACHE_DIR or <data_dir>/resizer_cache).")
flags.DEFINE_enum("format", "jpeg", cache.FORMATS, "Cached image encoding: jpeg (quality 95) or raw uint8.")
flags.DEFINE_enum("mode", "auto", ("auto",) + cache.MODES, "full: whole images (for training); central: the "
                  "evaluation crop (for evaluation); auto: full for train splits, central for the others.")
flags.DEFINE_string("interpolation", "", "Pre-resize method (empty: the dataset's, bilinear or bicubic).")
flags.DEFINE_integer("examples_per_shard", cache.EXAMPLES_PER_SHARD, "Examples per cache shard.")
flags.DEFINE_integer("num_examples", 0, "Cache only the first N examples of each split (0: all).")
flags.DEFINE_integer("validation_size", 2000, "ava: size of the validation split carved from train.")
flags.DEFINE_string("name", "", "image_folder, iqa_csv: the short name to prepare the files under (lower-case "
                    "letters, digits, _ and -); training takes it as --dataset_name.")
flags.DEFINE_string("image_column", "", "iqa_csv: the CSV column of image paths (empty: the first column).")
flags.DEFINE_list("score_columns", [], "iqa_csv: the score column (a mean score) or the 10 vote-count columns for "
                  "scores 1..10 (empty: every column but the image and split columns).")
flags.DEFINE_string("split_column", "split", "iqa_csv: the CSV column naming each row's split.")
flags.DEFINE_list("split_lists", [], "iqa_csv: split=file pairs, e.g. train=train.txt,test=test.txt: files of image "
                  "paths (one a line, as in the CSV), relative to the CSV; used instead of --split_column.")
flags.DEFINE_list("score_range", [], "iqa_csv, mean scores: low,high of the score scale, mapped onto 1..10 "
                  "(empty: the lowest and highest score in the CSV).")
flags.mark_flag_as_required("dataset")
FLAGS = flags.FLAGS


def _sizes(values):
    try:
        sizes = [int(v) for v in values]
    except ValueError:
        raise app.UsageError(f"--size takes integers, got {','.join(values)}") from None
    if any(s < 1 for s in sizes):
        raise app.UsageError("--size values must be >= 1")
    return sizes


def _user_options():
    """prepare() options of the user datasets' flags."""
    if FLAGS.dataset != "iqa_csv":
        return {}
    try:
        lists = dict(pair.split("=", 1) for pair in FLAGS.split_lists)
        score_range = tuple(float(v) for v in FLAGS.score_range)
    except ValueError:
        raise app.UsageError("--split_lists takes split=file pairs and --score_range two numbers low,high") from None
    if score_range and len(score_range) != 2:
        raise app.UsageError(f"--score_range takes two numbers low,high, got {','.join(FLAGS.score_range)}")
    return dict(image_column=FLAGS.image_column, score_columns=tuple(FLAGS.score_columns),
                split_column=FLAGS.split_column, split_lists=lists or None, score_range=score_range or None)


def _prepare(data_dir):
    """(dataset name as training knows it, builder, lines to print); user datasets' errors as UsageError."""
    if FLAGS.dataset not in user_data.KINDS:
        if FLAGS.name:
            raise app.UsageError(f"--name is for {' and '.join(user_data.KINDS)}, not --dataset={FLAGS.dataset}")
        builder = data.prepare(FLAGS.dataset, data_dir, FLAGS.manual_dir or None)
        return FLAGS.dataset, builder, image_files.report_lines(FLAGS.dataset, builder.info.metadata)
    if not FLAGS.name:
        raise app.UsageError(f"--dataset={FLAGS.dataset} needs --name=<a short name> to prepare the files under")
    try:
        named = registry.module(user_data.dataset_id(FLAGS.dataset, user_data.check_name(FLAGS.dataset, FLAGS.name)))
        builder = named.prepare(data_dir, FLAGS.manual_dir or None, **_user_options())
    except ValueError as e:
        raise app.UsageError(str(e)) from None
    return named.dataset_id, builder, named.report(builder)


def main(argv):
    del argv
    sizes = _sizes(FLAGS.size)
    data_dir = data.resolve_data_dir(FLAGS.data_dir or None)
    start = time.time()
    try:
        dataset, builder, report = _prepare(data_dir)
    except (FileNotFoundError, ValueError) as e:  # missing or broken downloads: the message says what to do
        sys.exit(f"prepare_data.py: error: {e}")
    info = registry.info(dataset, data_dir)
    splits = ", ".join(f"{name} {split.num_examples}" for name, split in sorted(builder.info.splits.items()))
    print(f"{dataset} prepared in {builder.data_dir} ({time.time() - start:.0f} s): {splits}")
    for line in report:
        print(line)
    if dataset != FLAGS.dataset:
        print(f"train on it with: python scripts/train.py --dataset={FLAGS.dataset} --dataset_name={FLAGS.name} "
              "--backbone=... --resizer=... (docs/your-data.md)")
    if not sizes:
        return
    cache_dir = FLAGS.cache_dir or cache.default_cache_dir(data_dir)
    options = {"validation_size": FLAGS.validation_size} if FLAGS.dataset == "ava" else {}
    for split in FLAGS.splits or [info.train_split, info.eval_split]:
        for size in sizes:
            start = time.time()
            path = cache.write(dataset, split, data_dir=data_dir, cache_dir=cache_dir, size=size,
                               mode=None if FLAGS.mode == "auto" else FLAGS.mode,
                               interpolation=FLAGS.interpolation or None, fmt=FLAGS.format,
                               examples_per_shard=FLAGS.examples_per_shard, num_examples=FLAGS.num_examples or None,
                               source_options=options)
            seconds = time.time() - start
            description = cache.complete_caches(cache_dir, dataset, split)[path]
            count, size_bytes = description["num_examples"], cache.disk_bytes(path)
            print(f"cache {path}: {count} examples, {size_bytes / 1e9:.3f} GB ({size_bytes / count / 1e3:.1f} KB per "
                  f"image), {seconds:.0f} s ({count / max(seconds, 1e-9):.0f} images/s)")


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
