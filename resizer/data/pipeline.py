"""The input pipeline: one `make_dataset` for training and evaluation of every task.

Per example: crop (training: Inception-style random crop; evaluation: central crop, see
resizer.data.crops; JPEGs decode only the crop window) -> (training) horizontal flip ->
the fixed pre-resize to `input_size` x `input_size` (tf.image.resize, no antialiasing,
bilinear for ImageNet and bicubic for AVA as in the paper) -> floats in [0, 1] ->
(optional) a Table 9 distortion. Then batching and prefetch. Each backbone's own
normalisation happens inside the model, after the resizer.

Randomness is stateless and seeded per example: training examples by (seed, input
pipeline, position in the repeated stream), evaluation examples by (seed, input pipeline,
a key derived from the example's stable id), so evaluation noise does not depend on read
order. With deterministic=True the read order is fixed too, and two runs yield identical
batches.
"""

from __future__ import annotations

import tensorflow as tf

from resizer import interpolation as interpolation_lib
from resizer.data import cache as cache_lib
from resizer.data import crops, distortions, registry, undecodable
from resizer.data.preprocess import cropped_pixels, pre_resize

SHUFFLE_BUFFER = 10_000  # encoded JPEGs: ~1 GB of ImageNet
SHUFFLE_BUFFER_DECODED = 1_024  # sources that yield decoded images hold far more bytes per element
_PIPELINE_OPTIONS = ("decode", "shuffle_files", "seed", "input_context", "num_examples")


def targets(example):
    """float32 (10,) rating distributions (IQA examples) or int32 class ids."""
    if "distribution" in example:
        return tf.cast(example["distribution"], tf.float32)
    return tf.cast(example["label"], tf.int32)


def stream_ids(seed, pipeline_id):
    """Three Philox keys (crop, flip, distortion) of a (seed, input pipeline) pair. A stateless
    op seeded [key, example counter] draws an independent stream per pair; cheaper per example
    than folding seeds in with more ops."""
    if not isinstance(seed, int) or not 0 <= seed < 2**40:
        raise ValueError(f"seed must be an int in [0, 2**40), got {seed!r}.")
    return [(seed * 2**16 + pipeline_id) * 4 + k for k in range(3)]


def _replica_batch(batch_size, input_context):
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}.")
    if input_context is None:
        return batch_size
    if batch_size % input_context.num_replicas_in_sync:
        raise ValueError(f"the global batch_size {batch_size} must be divisible by the "
                         f"{input_context.num_replicas_in_sync} replicas.")
    return input_context.get_per_replica_batch_size(batch_size)


def _examples(info, split, *, data_dir, training, seed, input_context, num_examples, source_options):
    """(un-batched examples, count) from the dataset's source, sharded and limited."""
    module = registry.module(info.name)
    if info.pipeline_options:
        return module.source(split, data_dir, decode=False, shuffle_files=training, seed=seed,
                             input_context=input_context, num_examples=num_examples, **source_options)
    ds, count = module.source(split, data_dir, **source_options)
    if num_examples:
        ds, count = ds.take(num_examples), min(count, num_examples)
    if input_context is not None and input_context.num_input_pipelines > 1:
        ds = ds.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
    return ds, count


def make_dataset(dataset, split, *, data_dir, training, input_size, batch_size, interpolation=None,
                 distortion=None, seed=0, deterministic=False, input_context=None, cache_dir=None,
                 num_examples=None, source_options=None, skip_batches=0, train_preprocessing="ours",
                 eval_preprocessing="ours"):
    """Batches (images float32 (B, S, S, 3) in [0, 1], targets) of one split, and the split size.

    Args:
      dataset: "imagenet2012", "ava", "cifar10" or "synthetic".
      split: a split of `resizer.data.info(dataset).splits`.
      data_dir: the data directory (None: $RESIZER_DATA_DIR, see WORKSPACE.md).
      training: random crop + flip, shuffled, repeated forever, drop_remainder batches;
        else the evaluation crop, one pass in order, the last batch may be smaller.
      input_size: S, the side of the pre-resized images (the resizer's input). With
        distortion="downscale4x" the batches are S/4 (`distortions.input_size`).
      batch_size: the global batch, or with `input_context` the global batch that this
        pipeline's per-replica batch is derived from.
      interpolation: the pre-resize method (default: the dataset's, bilinear or bicubic).
      distortion: None or a Table 9 distortion (downscale4x, gaussian_noise_0.1, jpeg_q10).
      seed: seeds shuffling, crops, flips and noise.
      deterministic: fixed element order (slower); with it two runs yield identical batches.
      input_context: a tf.distribute.InputContext (from
        `strategy.distribute_datasets_from_function`): this pipeline reads its own shard of
        files and yields per-replica batches.
      cache_dir: read the pre-resized cache written by scripts/prepare_data.py instead of
        decoding full-size images (resizer.data.cache).
      num_examples: use only the first N examples of the split (smoke runs).
      source_options: extra keyword options of the dataset's source (e.g. AVA's
        validation_size).
      train_preprocessing, eval_preprocessing: a named option of resizer.data.crops
        (PREPROCESSING): "ours" (the dataset's policies) or "slim" (TF-slim's
        inception_preprocessing, which resizes, flips and colours itself).
      skip_batches: training only: start after this many *global* steps, without decoding
        what they read; yields exactly the batches that follow them in an unskipped run
        (how a resumed run continues mid-epoch). A pipeline that feeds several replicas
        gives each step one per-replica batch per replica, so it skips that many.

    Returns:
      (tf.data.Dataset, number of examples in the split (or num_examples)). The count is the
      global one, also when `input_context` shards the data.
    """
    info = registry.info(dataset, data_dir)
    registry.check_split(info, split)
    interpolation = interpolation_lib.check(interpolation or info.interpolation)
    distortion = distortions.canonical(distortion)
    if not isinstance(input_size, int) or input_size < 1:
        raise ValueError(f"input_size must be an int >= 1, got {input_size!r}.")
    distortions.input_size(distortion, input_size)
    batch = _replica_batch(batch_size, input_context)
    source_options = dict(source_options or {})
    bad = set(source_options) & set(_PIPELINE_OPTIONS)
    if bad:
        raise ValueError(f"source_options may not set {sorted(bad)}: make_dataset sets them.")

    option = crops.preprocessing(training, train_preprocessing if training else eval_preprocessing)
    if cache_dir and option is not crops.OURS:
        raise ValueError(f"--{'train' if training else 'eval'}_preprocessing={option.name} crops full images; "
                         "the cache holds our crops: unset --cache_dir.")
    precropped, cached_size = False, None
    if cache_dir:
        ds, count, layout = cache_lib.read(cache_dir, dataset, split, input_size=input_size,
                                           interpolation=interpolation, training=training,
                                           num_examples=num_examples, input_context=input_context, seed=seed,
                                           source_options=source_options, eval_crop=info.eval_crop_name)
        precropped, cached_size = layout.mode == "central", layout.size
    else:
        ds, count = _examples(info, split, data_dir=data_dir, training=training, seed=seed,
                              input_context=input_context, num_examples=num_examples,
                              source_options=source_options)

    if training:
        buffer = SHUFFLE_BUFFER if ds.element_spec["image"].dtype == tf.string else SHUFFLE_BUFFER_DECODED
        ds = ds.shuffle(min(buffer, count), seed=seed, reshuffle_each_iteration=True).repeat()
    pipeline_id = input_context.input_pipeline_id if input_context is not None else 0
    streams = stream_ids(seed, pipeline_id)

    def decode(index, example):
        key = index if training or "key" not in example else example["key"]
        seeds = tuple(tf.stack([tf.constant(stream, tf.int64), tf.cast(key, tf.int64)]) for stream in streams)
        return seeds, cropped_pixels(example, info, training, seeds[0], precropped, option), targets(example)

    def preprocess(seeds, pixels, target):
        if option.resize is not None:  # a named option resizes, flips and colours itself
            image = crops.apply_option(option, pixels, input_size, seeds[1], training)
        else:
            if training:  # flipping the uint8 crop moves fewer bytes; resizing is mirror-symmetric
                pixels = tf.image.stateless_random_flip_left_right(pixels, seeds[1])
            if precropped and cached_size == input_size:
                image = tf.cast(pixels, tf.float32) * (1.0 / 255.0)
            else:
                image = pre_resize(pixels, input_size, interpolation)
        return distortions.apply(image, distortion, seeds[2]), target

    ds = ds.enumerate()
    if skip_batches:
        # Before decoding: a resumed run passes the batches it already trained on without
        # decoding them, and the indices (hence every random crop and flip) stay the same.
        if not training:
            raise ValueError("skip_batches is for resuming training; evaluation reads the whole split.")
        replicas_per_pipeline = (input_context.num_replicas_in_sync // input_context.num_input_pipelines
                                 if input_context is not None else 1)
        ds = ds.skip(int(skip_batches) * batch * replicas_per_pipeline)
    # Only the decoding stage may drop an example (an unreadable image); an error of the
    # resize, flip or distortion that follows is a bug and stops the run.
    ds = undecodable.skip_failed(ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE))
    ds = ds.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch, drop_remainder=training).prefetch(tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.deterministic = bool(deterministic)
    if input_context is not None:  # already sharded here: keep tf.distribute from sharding again
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    return ds.with_options(options), count
