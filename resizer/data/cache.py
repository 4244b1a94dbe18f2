"""The pre-resized cache: TFRecord shards of images already resized, so that a sweep of runs
does not decode full-size JPEGs again for every run.

Layout: `<cache_dir>/<dataset>/<split>-<mode>-<size>px-<interpolation>-<format>/`
holding `cache_plan.json` (written first: what the shards hold), the
`shard-NNNNN-of-MMMMM.tfrecord` files and `cache_info.json` (written last: a cache without
it is incomplete and is never read). Each shard is written under a temporary name beside it
(`.shard-...tmp`) and renamed to its own name only once it is whole, so a shard that exists
is complete and an interrupted run resumes where it stopped (existing shards are skipped).

`cache_dir` is a local path (`~` expanded) or a tf.io.gfile URL (`gs://`, `ram://`, ...):
every file operation here goes through tf.io.gfile or resizer.files. What holds where:
  local: the rename is POSIX's, atomic.
  gs://: a rename is a copy of the whole object and then a delete of the temporary; an
    object is visible only once its upload has finished, so a reader (or a resumed write)
    sees a shard whole or not at all. A kill between the copy and the delete leaves a
    complete shard plus its `.shard-...tmp` object, which no reader lists.
  ram:// (TensorFlow's in-memory store, per process): the rename moves the entry under the
    store's lock, so it is atomic; a file is visible under its name from the moment it is
    opened and grows while written (and "w" appends to an existing file rather than
    truncating it), which is why nothing is ever written directly under a shard's name.
  a store without rename (none known to TF today) is not supported: resizer.files lets its
    UnimplementedError propagate rather than write a shard under its own name, where a
    killed write would leave a partial shard that a resume keeps.
On every store: a killed write may leave `.shard-...tmp` temporaries (never read; safe to
delete while no write runs). There is no lock and no exclusive create: two writers of one
cache with the same settings each rename whole shards into place (the last wins); the
cache_plan.json check that refuses other settings is check-then-write, so two writers
started at the same moment with different settings are not caught.

Modes:
  central: the evaluation crop and pre-resize already applied (exactly what the eval
    pipeline computes, up to JPEG coding and uint8 rounding). For evaluation at `size`.
  full: the whole image resized to size x size (aspect not kept) plus its original
    (height, width). Crops are then chosen on the original frame and cut from the stored
    copy (resizer.data.crops), so crop geometry is unchanged; a crop has the detail of
    the `size`-pixel copy rather than of the original. For training at sizes <= `size`.
Formats: jpeg (quality 95; ~70 KB per 448x448 image) or raw uint8 (602 KB at 448, no
decoding at all). docs/data.md has the measured speeds and sizes.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import tensorflow as tf
from absl import logging

from resizer import interpolation as interpolation_lib
from resizer.data import registry
from resizer.files import atomic_write, atomic_write_text, expand_user, read_text

ENV_CACHE_DIR = "RESIZER_CACHE_DIR"
FORMATS = ("jpeg", "raw")
MODES = ("full", "central")
JPEG_QUALITY = 95
EXAMPLES_PER_SHARD = 1024
INFO_FILE = "cache_info.json"
PLAN_FILE = "cache_plan.json"  # written first: what the shards of an unfinished cache hold
TRAIN_SPLITS = ("train", "train_minus_minival", "train_full")


@dataclasses.dataclass(frozen=True)
class Layout:
    mode: str
    size: int
    path: str


def default_cache_dir(data_dir=None):
    """$RESIZER_CACHE_DIR, else <data_dir>/resizer_cache (either may be a gfile URL)."""
    from resizer.data.tfds_source import resolve_data_dir

    return os.environ.get(ENV_CACHE_DIR) or os.path.join(resolve_data_dir(data_dir), "resizer_cache")


def disk_bytes(path):
    """Bytes of the cache's shard files."""
    return sum(tf.io.gfile.stat(f).length for f in _shards(path))


def _shards(path):
    """The cache's shard files, sorted (temporaries, named .shard-..., are not among them)."""
    return sorted(tf.io.gfile.glob(os.path.join(path, "shard-*.tfrecord")))


def cache_path(cache_dir, dataset, split, *, mode, size, interpolation, fmt):
    return os.path.join(expand_user(cache_dir), dataset, f"{split}-{mode}-{size}px-{interpolation}-{fmt}")


def default_mode(split):
    """Training splits are cached whole ("full"), evaluation splits cropped ("central")."""
    return "full" if split in TRAIN_SPLITS else "central"


def _shard_name(index, count):
    return f"shard-{index:05d}-of-{count:05d}.tfrecord"


def _feature(value):
    if isinstance(value, bytes):  # not through numpy: 'S' arrays drop trailing zero bytes
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))
    value = np.asarray(value)
    if value.dtype.kind in "iub":
        return tf.train.Feature(int64_list=tf.train.Int64List(value=value.reshape(-1).astype(np.int64)))
    return tf.train.Feature(float_list=tf.train.FloatList(value=value.reshape(-1).astype(np.float32)))


def _encoder(info, *, mode, size, interpolation, fmt):
    """example -> the cached example (image encoded, source_hw added in full mode)."""
    from resizer.data import crops, preprocess

    def encode(example):
        image = example["image"]
        if mode == "central":
            pixels = preprocess.cropped_pixels(example, info, training=False, seed=None)
        else:
            pixels = crops.decode(image)
        resized = tf.cast(tf.round(preprocess.pre_resize(pixels, size, interpolation) * 255.0), tf.uint8)
        out = {k: v for k, v in example.items() if k != "image"}
        out["image"] = (tf.io.encode_jpeg(resized, quality=JPEG_QUALITY) if fmt == "jpeg"
                        else tf.io.serialize_tensor(resized))
        if mode == "full":
            out["source_hw"] = tf.cast(crops.image_shape(image), tf.int64)
        return out

    return encode


def write(dataset, split, *, data_dir, cache_dir, size, mode=None, interpolation=None, fmt="jpeg",
          examples_per_shard=EXAMPLES_PER_SHARD, num_examples=None, source_options=None):
    """Writes (or completes) the cache of one split; returns its directory.

    Reads the prepared TFDS dataset in its stored order, shard by shard (each shard a
    slice of the split, so resuming reads only what is missing).
    """
    info = registry.info(dataset, data_dir)
    registry.check_split(info, split)
    module = registry.module(dataset)
    if info.train_crop == "pad_crop" or not hasattr(module, "DATASET"):
        raise ValueError(f"{dataset} cannot be cached: the cache is for the TFDS datasets with full-size "
                         "JPEGs (imagenet2012, ava).")
    mode = mode or default_mode(split)
    interpolation = interpolation_lib.check(interpolation or info.interpolation)
    if mode not in MODES or fmt not in FORMATS:
        raise ValueError(f"mode must be one of {MODES} and fmt one of {FORMATS}, got {mode!r}, {fmt!r}.")
    if not isinstance(size, int) or size < 1 or examples_per_shard < 1:
        raise ValueError(f"size and examples_per_shard must be ints >= 1, got {size!r}, {examples_per_shard!r}.")
    source_options = dict(source_options or {})
    _, total = module.source(split, data_dir, decode=False, num_examples=num_examples, **source_options)
    num_shards = -(-total // examples_per_shard)
    path = cache_path(cache_dir, dataset, split, mode=mode, size=size, interpolation=interpolation, fmt=fmt)
    tf.io.gfile.makedirs(path)
    # What the shards hold is fixed before the first is written: a resumed write with other
    # settings would mix shards of two layouts under one name, so it is refused.
    plan = {"num_examples": total, "examples_per_shard": examples_per_shard, "source_options": source_options,
            "subset": bool(num_examples)}
    plan_path = os.path.join(path, PLAN_FILE)
    if tf.io.gfile.exists(plan_path):
        earlier = json.loads(read_text(plan_path))
        if earlier != plan:
            raise ValueError(f"the cache {path} was started with {earlier}, not {plan}: delete that directory "
                             "to rewrite it, or keep the settings it was started with.")
    else:
        atomic_write_text(plan_path, json.dumps(plan, sort_keys=True) + "\n")
    encode = _encoder(info, mode=mode, size=size, interpolation=interpolation, fmt=fmt)
    first, _ = module.source(split, data_dir, decode=False, num_examples=1, **source_options)
    spec = {k: {"dtype": v.dtype.name, "shape": v.shape.as_list()} for k, v in first.map(encode).element_spec.items()}
    for index in range(num_shards):
        shard = os.path.join(path, _shard_name(index, num_shards))
        if tf.io.gfile.exists(shard):
            continue
        count = min(examples_per_shard, total - index * examples_per_shard)
        ds, _ = module.source(split, data_dir, decode=False, skip=index * examples_per_shard,
                              num_examples=count, **source_options)
        ds = ds.map(encode, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

        def write_shard(tmp, ds=ds):
            with tf.io.TFRecordWriter(tmp) as writer:
                for example in ds.as_numpy_iterator():
                    features = {k: _feature(v) for k, v in example.items()}
                    writer.write(tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString())

        atomic_write(shard, write_shard)
        logging.info("cache %s: shard %d/%d written", path, index + 1, num_shards)
    description = {
        "dataset": dataset, "split": split, "mode": mode, "size": size, "interpolation": interpolation,
        "format": fmt, "jpeg_quality": JPEG_QUALITY if fmt == "jpeg" else None, "num_examples": total,
        "num_shards": num_shards, "examples_per_shard": examples_per_shard, "features": spec,
        "source_options": source_options, "subset": bool(num_examples), "eval_crop": info.eval_crop_name,
    }
    atomic_write_text(os.path.join(path, INFO_FILE), json.dumps(description, indent=2, sort_keys=True))
    return path


def complete_caches(cache_dir, dataset, split):
    """{path: cache_info} of the complete caches of a split."""
    found = {}
    for info_path in tf.io.gfile.glob(os.path.join(expand_user(cache_dir), dataset, f"{split}-*", INFO_FILE)):
        found[os.path.dirname(info_path)] = json.loads(read_text(info_path))
    return found


def choose(cache_dir, dataset, split, *, input_size, interpolation, training, source_options=None,
           num_examples=None, eval_crop=None):
    """The cache to read: an exact central cache for evaluation, else the smallest full cache
    with size >= input_size, among those written from the same source options (AVA's
    validation size decides what `train` holds) and, unless the run itself asks for at most
    that many examples, not from a subset. A central cache holds one evaluation crop: it is
    read only for that crop (`eval_crop`, as DatasetInfo.eval_crop_name names it; default the
    dataset's). FileNotFoundError listing what exists otherwise."""
    options = dict(source_options or {})
    if eval_crop is None:
        eval_crop = registry.info(dataset).eval_crop_name
    caches = {p: c for p, c in complete_caches(cache_dir, dataset, split).items()
              if c["interpolation"] == interpolation and c["size"] >= input_size
              and c.get("source_options", {}) == options
              and (not c.get("subset") or (num_examples and num_examples <= c["num_examples"]))}
    # raw before jpeg: it is exact and faster to read.
    exact = sorted((c["format"] != "raw", p) for p, c in caches.items()
                   if c["mode"] == "central" and c["size"] == input_size and c.get("eval_crop") == eval_crop)
    full = sorted((c["size"], c["format"] != "raw", p) for p, c in caches.items() if c["mode"] == "full")
    # Central caches of this size for another crop (or written before the crop was recorded): passed
    # over, and said so, since the user may think they are read.
    other_crop = sorted(f"{os.path.basename(p)} ({c.get('eval_crop') or 'crop not recorded: an older cache'})"
                        for p, c in caches.items()
                        if c["mode"] == "central" and c["size"] == input_size and c.get("eval_crop") != eval_crop)
    if not training and exact:
        path = exact[0][-1]
    elif full:
        path = full[0][-1]
        if not training and other_crop:
            logging.warning("evaluating from the full cache %s: the central cache(s) %s hold another crop than "
                            "this run's %s", path, ", ".join(other_crop), eval_crop)
    else:
        existing = sorted(os.path.basename(p) for p in complete_caches(cache_dir, dataset, split)) or ["none"]
        mode = "full" if training else "central (or full)"
        passed = (f"; not read: {', '.join(other_crop)}, this run evaluates {eval_crop}"
                  if other_crop and not training else "")
        raise FileNotFoundError(
            f"No usable cache of {dataset} {split} in {cache_dir} for {'training' if training else 'evaluation'} "
            f"at {input_size}px with {interpolation} (needs mode {mode}, size >= {input_size}); complete caches "
            f"there: {', '.join(existing)}{passed}. Write one with: python scripts/prepare_data.py --dataset "
            f"{dataset} --splits {split} --size {input_size} --cache_dir {cache_dir}")
    return path, caches[path]


def read(cache_dir, dataset, split, *, input_size, interpolation, training, num_examples=None,
         input_context=None, seed=None, source_options=None, eval_crop=None):
    """(un-batched cached examples, count, Layout): images are JPEG bytes or uint8 arrays."""
    path, description = choose(cache_dir, dataset, split, input_size=input_size, interpolation=interpolation,
                               training=training, source_options=source_options, num_examples=num_examples,
                               eval_crop=eval_crop)
    files = _shards(path)
    if len(files) != description["num_shards"]:
        raise FileNotFoundError(f"cache {path} lists {description['num_shards']} shards but has {len(files)}; "
                                "write it again with scripts/prepare_data.py (it resumes).")
    count = description["num_examples"]
    if num_examples:
        count = min(count, num_examples)
        files = files[:-(-count // description["examples_per_shard"])]
    size = description["size"]
    parse_spec, dtypes = {}, {}
    for name, feature in description["features"].items():
        dtype = tf.as_dtype(feature["dtype"])
        stored = tf.string if dtype == tf.string else (tf.float32 if dtype.is_floating else tf.int64)
        parse_spec[name] = tf.io.FixedLenFeature(feature["shape"], stored)
        dtypes[name] = dtype

    def parse(record):
        example = tf.io.parse_single_example(record, parse_spec)
        example = {k: tf.cast(v, dtypes[k]) if dtypes[k] != tf.string else v for k, v in example.items()}
        if description["format"] == "raw":
            example["image"] = tf.ensure_shape(tf.io.parse_tensor(example["image"], tf.uint8), (size, size, 3))
        return example

    ds = tf.data.Dataset.from_tensor_slices(files)
    pipelines = input_context.num_input_pipelines if input_context is not None else 1
    if num_examples:  # exactly the first N: files in order, then shard by example
        ds = tf.data.TFRecordDataset(ds).take(count)
        by_file = False
    else:
        by_file = pipelines > 1 and len(files) >= pipelines
        if by_file:
            ds = ds.shard(pipelines, input_context.input_pipeline_id)
        if training:
            ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
        ds = ds.interleave(tf.data.TFRecordDataset, cycle_length=min(16, len(files)),
                           num_parallel_calls=tf.data.AUTOTUNE)
    if pipelines > 1 and not by_file:
        ds = ds.shard(pipelines, input_context.input_pipeline_id)
    return ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE), count, Layout(description["mode"], size, path)
