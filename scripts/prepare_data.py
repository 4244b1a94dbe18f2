"""Prepares a dataset from its hand-downloaded files, and optionally writes the pre-resized cache.

    python scripts/prepare_data.py --dataset imagenet2012 --data_dir /data
    python scripts/prepare_data.py --dataset imagenet2012 --data_dir /data --size 448
    python scripts/prepare_data.py --dataset ava --size 224,448 --splits train,test --format raw

Without --size it only prepares the TFDS dataset (once; later calls see it is done). With
--size it also writes one cache per (split, size) under --cache_dir; an interrupted run
resumes. WORKSPACE.md lists the files, the disk space and the time each step takes.
"""

import _bootstrap  # noqa: F401

import sys
import time

from absl import app, flags

from resizer import data
from resizer.data import cache, registry

_DATASETS = ("imagenet2012", "ava", "cifar10")

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


def main(argv):
    del argv
    sizes = _sizes(FLAGS.size)
    data_dir = data.resolve_data_dir(FLAGS.data_dir or None)
    info = registry.info(FLAGS.dataset)
    start = time.time()
    try:
        builder = data.prepare(FLAGS.dataset, data_dir, FLAGS.manual_dir or None)
    except (FileNotFoundError, ValueError) as e:  # missing or broken downloads: the message says what to do
        sys.exit(f"prepare_data.py: error: {e}")
    splits = ", ".join(f"{name} {split.num_examples}" for name, split in sorted(builder.info.splits.items()))
    print(f"{FLAGS.dataset} prepared in {builder.data_dir} ({time.time() - start:.0f} s): {splits}")
    if FLAGS.dataset == "ava":
        for split, reasons in sorted(builder.info.metadata.get("skipped", {}).items()):
            counts = ", ".join(f"{len(ids)} {reason}" for reason, ids in sorted(reasons.items())) or "none"
            print(f"  ava {split}: skipped images: {counts}")
    if not sizes:
        return
    cache_dir = FLAGS.cache_dir or cache.default_cache_dir(data_dir)
    options = {"validation_size": FLAGS.validation_size} if FLAGS.dataset == "ava" else {}
    for split in FLAGS.splits or [info.train_split, info.eval_split]:
        for size in sizes:
            start = time.time()
            path = cache.write(FLAGS.dataset, split, data_dir=data_dir, cache_dir=cache_dir, size=size,
                               mode=None if FLAGS.mode == "auto" else FLAGS.mode,
                               interpolation=FLAGS.interpolation or None, fmt=FLAGS.format,
                               examples_per_shard=FLAGS.examples_per_shard, num_examples=FLAGS.num_examples or None,
                               source_options=options)
            seconds = time.time() - start
            description = cache.complete_caches(cache_dir, FLAGS.dataset, split)[path]
            count, size_bytes = description["num_examples"], cache.disk_bytes(path)
            print(f"cache {path}: {count} examples, {size_bytes / 1e9:.3f} GB ({size_bytes / count / 1e3:.1f} KB per "
                  f"image), {seconds:.0f} s ({count / max(seconds, 1e-9):.0f} images/s)")


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
