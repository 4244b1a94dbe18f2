"""Input pipeline throughput on generated ImageNet-size JPEGs (images per second).

    python scripts/bench_input.py                 # 1000 images, about 3 minutes on 2 cores
    python scripts/bench_input.py --num_images 300 --images_per_measure 1200 --repeats 1   # quicker

Writes a fake ImageNet manual download of --num_images photo-like JPEGs (500x375 and the
other common ImageNet shapes), prepares it with TFDS's real imagenet2012 builder, then
times: decode only (tf.io.decode_jpeg of every image: the limit), the train pipeline at
each resizer input of Table 4, the eval pipeline, and the pre-resized cache
(resizer.data.cache) in both formats. Every rate is the best of --repeats runs.
"""

import _bootstrap  # noqa: F401

import os
import shutil
import tempfile
import time

import numpy as np
from absl import app, flags

flags.DEFINE_integer("num_images", 1000, "JPEGs to generate (fewer make epoch restarts a visible cost).")
flags.DEFINE_integer("images_per_measure", 2000, "Images timed per measurement (the data repeats).")
flags.DEFINE_integer("repeats", 2, "Runs per measurement; the best is printed.")
flags.DEFINE_list("sizes", ["224", "256", "320", "368", "448"], "Resizer input sizes of the train pipeline (Table 4).")
flags.DEFINE_integer("cache_size", 448, "Side of the pre-resized cache.")
flags.DEFINE_integer("batch_size", 32, "Batch size.")
flags.DEFINE_integer("quality", 90, "JPEG quality of the generated images.")
flags.DEFINE_string("work_dir", "", "Where to write the data (empty: a temporary folder, deleted afterwards).")
FLAGS = flags.FLAGS

# ImageNet's most common shapes: Flickr's 500-pixel long side.
SHAPES = ((375, 500), (333, 500), (500, 375), (400, 500))
PER_CLASS = 30


def measure(make_batches, images, repeats):
    """(images per second, CPU milliseconds per image) of the batches of `make_batches()`: the
    best of `repeats` runs. CPU time (all threads of this process) is what an image costs
    however busy the machine is; the rate is what this machine delivered."""
    best_rate, best_cpu = 0.0, float("inf")
    for _ in range(repeats):
        iterator = iter(make_batches())
        for _ in range(2):  # warm-up: graph building, thread pools, first reads
            next(iterator)
        count, start, cpu = 0, time.perf_counter(), time.process_time()
        while count < images:
            count += int(next(iterator)[0].shape[0])
        best_rate = max(best_rate, count / (time.perf_counter() - start))
        best_cpu = min(best_cpu, (time.process_time() - cpu) / count * 1e3)
    return best_rate, best_cpu


def decode_only(examples, batch):
    """Decode every image and nothing else (batched shapes, to be consumed like the pipeline)."""
    import tensorflow as tf

    from resizer.data import crops

    shapes = examples.repeat().map(lambda e: tf.shape(crops.decode(e["image"])), num_parallel_calls=tf.data.AUTOTUNE)
    return shapes.batch(batch).map(lambda s: (s, s)).prefetch(tf.data.AUTOTUNE)


def _prepare_ava(work, count):
    """Times the AVA builder (it decodes every image once to skip broken ones) on `count` images."""
    from resizer.data import testing
    from resizer.datasets import ava

    data_dir = os.path.join(work, "ava")
    testing.write_ava_manual(ava.DATASET.manual_dir(data_dir), num_images=count, num_test=count // 10,
                             size=SHAPES[0])
    start = time.time()
    ava.prepare(data_dir)
    print(f"prepare (AVA builder, {SHAPES[0][1]}x{SHAPES[0][0]}): {count / (time.time() - start):.0f} images/s")
    return count


def main(argv):
    del argv
    from resizer.data import cache, make_dataset, testing, tfds_source
    from resizer.datasets import imagenet2012 as imagenet

    work = FLAGS.work_dir or tempfile.mkdtemp(prefix="bench_input_")
    batch, n, repeats, size = FLAGS.batch_size, FLAGS.images_per_measure, FLAGS.repeats, FLAGS.cache_size
    try:
        start = time.time()
        written = testing.write_imagenet_manual(tfds_source.manual_dir(work), num_classes=-(-FLAGS.num_images // PER_CLASS),
                                                per_class=PER_CLASS, num_val=1, size=SHAPES, quality=FLAGS.quality)
        count = len(written["train"])
        print(f"{count} JPEGs of {', '.join(f'{w}x{h}' for h, w in SHAPES)}, quality {FLAGS.quality}, mean "
              f"{np.mean(written['bytes']) / 1e3:.0f} KB (written in {time.time() - start:.0f} s); "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        start = time.time()
        imagenet.prepare(work)
        print(f"prepare (TFDS imagenet2012 builder): {count / (time.time() - start):.0f} images/s")
        _prepare_ava(work, min(count, 200))

        def pipeline(training, input_size, **kwargs):
            ds, _ = make_dataset("imagenet2012", "train", data_dir=work, training=training, input_size=input_size,
                                 batch_size=batch, **kwargs)
            return ds if training else ds.repeat()

        rows = [("decode only (the limit)",
                 measure(lambda: decode_only(imagenet.source("train", work, decode=False)[0], batch), n, repeats))]
        for input_size in [int(s) for s in FLAGS.sizes]:
            rows.append((f"train pipeline {input_size}", measure(lambda: pipeline(True, input_size), n, repeats)))
        for input_size in (224, size):
            rows.append((f"eval pipeline {input_size}", measure(lambda: pipeline(False, input_size), n, repeats)))

        print(f"\n{f'cache at {size} px':<26}{'KB/image':>9}{'written images/s':>18}")
        for fmt in cache.FORMATS:
            cache_dir = os.path.join(work, f"cache_{fmt}")  # one format per folder, so reading picks this one
            for mode in cache.MODES:
                start = time.time()
                path = cache.write("imagenet2012", "train", data_dir=work, cache_dir=cache_dir, size=size, mode=mode,
                                   fmt=fmt, examples_per_shard=128)
                print(f"{mode + ' ' + fmt:<26}{cache.disk_bytes(path) / count / 1e3:>9.1f}"
                      f"{count / (time.time() - start):>18.0f}")
            central, _, _ = cache.read(cache_dir, "imagenet2012", "train", input_size=size, interpolation="bilinear",
                                       training=False)
            rows.append((f"cache {fmt}: read + decode only", measure(lambda: decode_only(central, batch), n, repeats)))
            rows.append((f"cache {fmt}: train pipeline {size}",
                         measure(lambda: pipeline(True, size, cache_dir=cache_dir), n, repeats)))
            rows.append((f"cache {fmt}: eval pipeline {size}",
                         measure(lambda: pipeline(False, size, cache_dir=cache_dir), n, repeats)))

        print(f"\n{f'pipeline (batch {batch}, best of {repeats})':<40}{'images/s':>9}{'CPU ms/image':>14}"
              f"{'x decode-only (CPU)':>21}")
        limit = rows[0][1][1]
        for name, (rate, cpu) in rows:
            print(f"{name:<40}{rate:>9.0f}{cpu:>14.2f}{limit / cpu:>21.2f}")
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        if not FLAGS.work_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
