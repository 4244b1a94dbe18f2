"""The demo's generated task: four classes told apart only by a fine texture that a plain
4x down-scale wipes out.

Every image (64 x 64 by default) is a smooth random colour field plus pixel noise, with one
or two random rectangles carrying a faint square-wave texture: horizontal stripes, vertical
stripes, a checkerboard, or nothing (the "plain" class). The texture's period is 2, 3 or 4
pixels. Shrinking 64 -> 16 with the pipeline's bilinear resize (no antialiasing, as the
paper's TensorFlow resize) averages 2 x 2 pixel groups 4 pixels apart: a period-2 texture
cancels exactly, period 4 leaves at most a flat brightness change, and only period 3 (and
the rectangles' edges) leave aliased traces of the orientation. The class evidence is thus
mostly gone at 16 px, while a learned resizer sees the full-resolution texture (its first
7x7 convolution) before it shrinks. Brightness, colour and the rectangles' sizes carry no
class information.

Examples are a pure function of (split, index, seed): nothing is stored on disk, any number
of workers read the same data, and resumed runs see the same images.
"""

from __future__ import annotations

import tensorflow as tf

from resizer.data.registry import DatasetInfo

CLASSES = ("horizontal", "vertical", "checkerboard", "plain")
SPLIT_SIZES = {"train": 8192, "test": 2048, "validation": 2048}
_SPLIT_STREAMS = {"train": 1, "test": 2, "validation": 3}

# No crop (it would cut the textured rectangles away); the pipeline flips training images,
# which keeps every class. Called as source(split, data_dir, **source_options).
INFO = DatasetInfo(name="synthetic", task="classification", num_classes=len(CLASSES), interpolation="bilinear",
                   splits=tuple(SPLIT_SIZES), train_split="train", eval_split="test", selection_split="validation",
                   train_crop="none", eval_crop="full", eval_fraction=1.0, pipeline_options=False,
                   other_tasks=("iqa",), flag_file="demo")


def _rectangle(seed, size):
    """A {0, 1} mask (size, size) of one random axis-aligned rectangle, 25-60% of each side."""
    seeds = tf.random.experimental.stateless_split(seed, 2)
    sides = tf.random.stateless_uniform([2], seeds[0], int(0.25 * size), int(0.6 * size) + 1, dtype=tf.int32)
    corner = tf.random.stateless_uniform([2], seeds[1], 0, size, dtype=tf.int32) % (size - sides + 1)
    rows = tf.range(size)[:, None]
    cols = tf.range(size)[None, :]
    inside = ((rows >= corner[0]) & (rows < corner[0] + sides[0]) &
              (cols >= corner[1]) & (cols < corner[1] + sides[1]))
    return tf.cast(inside, tf.float32)


def _square_wave(coordinate, period):
    """+-1 square wave of an integer period along integer coordinates, mean removed."""
    wave = tf.where(2 * (coordinate % period) < period, 1.0, -1.0)
    return wave - tf.reduce_mean(wave[: period * (tf.size(wave) // period)])


def render(index, *, stream, seed, image_size, patches, amplitude, num_classes, task):
    """One example {"image": uint8 (S, S, 3), "label" or "distribution"} from its index."""
    key = tf.stack([tf.cast(seed, tf.int64) * 16 + stream, tf.cast(index, tf.int64)])
    seeds = tf.random.experimental.stateless_split(key, 7 + patches)
    label = tf.random.stateless_uniform([], seeds[0], 0, len(CLASSES), dtype=tf.int32)
    size = image_size
    coarse = tf.random.stateless_uniform([1, 4, 4, 3], seeds[1], 0.3, 0.7)
    field = tf.image.resize(coarse, [size, size], method="bicubic")[0]
    period = tf.random.stateless_uniform([], seeds[2], 2, 5, dtype=tf.int32)
    offset = tf.random.stateless_uniform([2], seeds[3], 0, 4, dtype=tf.int32)
    rows = _square_wave(tf.range(size) + offset[0], period)[:, None]
    cols = _square_wave(tf.range(size) + offset[1], period)[None, :]
    waves = tf.stack([rows + 0 * cols, cols + 0 * rows, rows * cols, 0 * rows * cols])  # plain: none
    stripes = tf.gather(waves, label)
    mask = tf.zeros([size, size])
    for i in range(patches):
        mask = tf.maximum(mask, _rectangle(seeds[7 + i], size))
    strength = tf.random.stateless_uniform([], seeds[4], amplitude[0], amplitude[1])
    texture = (strength * mask * stripes)[:, :, None]
    noise = tf.random.stateless_normal([size, size, 3], seeds[5], stddev=0.03)
    image = tf.clip_by_value(field + texture + noise, 0.0, 1.0)
    example = {"image": tf.cast(tf.round(image * 255.0), tf.uint8)}
    if task == "iqa":
        # Smoke runs of IQA configurations: a rating histogram peaked at the class.
        example["distribution"] = 0.6 * tf.one_hot(label * 2 + 2, 10) + 0.04
    else:
        example["label"] = tf.cast(label % num_classes, tf.int64)
    return example


_generated = {}  # (split, options) -> numpy arrays: a process renders each split once


def run_options(task, num_examples):
    """source() options of a run: its task, and only the examples it uses rendered (smoke runs: a handful)."""
    return {"task": task, "size": num_examples}


def source(split, data_dir=None, *, image_size=64, patches=2, amplitude=(0.08, 0.2), size=None, seed=0,
           num_classes=len(CLASSES), task="classification"):
    """The generated split as un-batched examples: (tf.data.Dataset, number of examples).

    `data_dir` is ignored (nothing is read). Splits: train (8192 examples), test and
    validation (2048 each, disjoint streams). `size` renders only the first examples (the
    same ones); the rendered arrays are kept in memory, so later epochs cost nothing.
    """
    del data_dir
    if split not in SPLIT_SIZES:
        raise ValueError(f"synthetic data has splits {sorted(SPLIT_SIZES)}, not {split!r}")
    if task not in ("classification", "iqa"):
        raise ValueError(f"synthetic data supports task classification or iqa, not {task!r}")
    if image_size < 8:
        raise ValueError(f"synthetic image_size must be at least 8 pixels, got {image_size}")
    count = min(int(size or SPLIT_SIZES[split]), SPLIT_SIZES[split])
    options = dict(stream=_SPLIT_STREAMS[split], seed=seed, image_size=image_size, patches=patches,
                   amplitude=tuple(amplitude), num_classes=num_classes, task=task)
    key = (count, tuple(sorted(options.items())))
    if key not in _generated:
        rendered = tf.data.Dataset.range(count).map(lambda i: render(i, **options),
                                                    num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        _generated[key] = next(iter(rendered.batch(count)))
    return tf.data.Dataset.from_tensor_slices(_generated[key]), count
