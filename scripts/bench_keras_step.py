"""Training-step speed on any Keras backend (KERAS_BACKEND=tensorflow|jax|torch): a backbone
alone at 224 and behind a learned resizer at each Table 4 input size, with the time ratio
beside the FLOPs ratio. Needs no TensorFlow under JAX or torch (a GPU machine with JAX only).

    KERAS_BACKEND=jax python scripts/bench_keras_step.py --backbone=resnet50 --batch_size=32
    KERAS_BACKEND=jax python scripts/bench_keras_step.py --backbone=mobilenet_v2 --batch_size=4 \\
        --steps=3 --sizes=224,448 --resizers=learned,muller

One step is Keras' own `train_on_batch` of a model compiled with momentum SGD and softmax
cross-entropy (forward, backward, update; jit-compiled as Keras does on the backend) on a
fixed random batch, so no input pipeline is measured. For the TensorFlow training loop of
scripts/train.py itself, use scripts/bench_train.py. Prints CSV:

    backend,device,backbone,resizer,resizer_input,output,batch_size,images_per_s,step_s,time_ratio,flops_ratio,flops_from

time_ratio = (resizer + backbone step time) / (backbone-alone step time at --output, the mean of
its two timings, first and last, both printed as resizer "none"); step_s is the median step;
flops_ratio = the same ratio of forward FLOPs: Table 4's published GFLOPs for the learned
resizer (resizer.paper), MULLER's blur FLOPs (resizer.muller.muller_flops) added to the
published baseline for muller, "-" where the paper has no such row.
"""

import _bootstrap

import os
import sys
import time

from absl import app, flags

flags.DEFINE_string("backbone", "resnet50", "A resizer.models.BACKBONES name (resnet50 is keras' ResNet50V2).")
flags.DEFINE_list("sizes", ["224", "256", "320", "368", "448"], "Resizer input sides (Table 4's).")
flags.DEFINE_list("resizers", ["learned"], "Resizers to put in front: learned and/or muller.")
flags.DEFINE_integer("batch_size", 8, "Images per step (same for every model).")
flags.DEFINE_integer("steps", 5, "Timed steps per model (after --warmup steps).")
flags.DEFINE_integer("warmup", 2, "Untimed steps first (compilation, allocation).")
flags.DEFINE_integer("output", 224, "Backbone input side.")
flags.DEFINE_integer("num_classes", 1000, "Classifier outputs.")
FLAGS = flags.FLAGS

LEARNED_RESIZERS = ("learned", "muller")


def device_name(keras):
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        d = jax.devices()[0]
        return f"{d.platform}:{getattr(d, 'device_kind', d.platform)}"
    if backend == "torch":
        import torch

        return f"cuda:{torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "cpu"
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return f"gpu:{gpus[0].name}" if gpus else "cpu"
    return backend


def step_seconds(model, side, keras, np):
    """Median seconds of a train_on_batch step of `model` on a fixed random (batch, side, side, 3)
    batch (the median, as other processes on a shared machine stall single steps)."""
    model.compile(optimizer=keras.optimizers.SGD(0.005, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    images = rng.random((FLAGS.batch_size, side, side, 3), dtype=np.float32)
    labels = rng.integers(0, FLAGS.num_classes, FLAGS.batch_size)
    for _ in range(FLAGS.warmup):
        model.train_on_batch(images, labels)
    times = []
    for _ in range(FLAGS.steps):
        began = time.perf_counter()
        model.train_on_batch(images, labels)  # returns the loss as a Python float: waits for the device
        times.append(time.perf_counter() - began)
    return float(np.median(times))


def paper_gflops(backbone, output):
    """{("bilinear", output) or ("proposed", resizer_input): GFLOPs} of Table 4 for a backbone."""
    from resizer import paper

    return {(r["resizer"], r["output"] if r["resizer"] != "proposed" else r["resizer_input"]): r["gflops"]
            for r in paper.load(4) if r["model"] == backbone and r["output"] == output}


def flops_ratio(resizer, side, published):
    base = published.get(("bilinear", FLAGS.output))
    if base is None:
        return "-", "-"
    if resizer == "learned":
        gflops = published.get(("proposed", side))
        return (f"{gflops / base:.3f}", "table4") if gflops is not None else ("-", "-")
    from resizer.muller import muller_flops

    return f"{(base + muller_flops(side) / 1e9) / base:.3f}", "table4+muller_flops"


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
    import numpy as np
    import keras

    from resizer.models import BACKBONES, build

    if FLAGS.backbone not in BACKBONES:
        raise app.UsageError(f"--backbone={FLAGS.backbone!r} is unknown; choose one of {', '.join(sorted(BACKBONES))}.")
    bad = [r for r in FLAGS.resizers if r not in LEARNED_RESIZERS]
    if bad:
        raise app.UsageError(f"--resizers: {', '.join(bad)} not in {', '.join(LEARNED_RESIZERS)}.")
    try:
        sizes = [int(s) for s in FLAGS.sizes]
    except ValueError:
        raise app.UsageError(f"--sizes must be integers, got {','.join(FLAGS.sizes)}.") from None
    if any(s < FLAGS.output for s in sizes):
        raise app.UsageError(f"--sizes must be >= --output={FLAGS.output} (the resizer down-scales), got {sizes}.")
    for name in ("batch_size", "steps", "output"):
        if getattr(FLAGS, name) < 1:
            raise app.UsageError(f"--{name} must be >= 1, got {getattr(FLAGS, name)}.")

    backend, device = keras.backend.backend(), device_name(keras)
    print(f"# keras {keras.__version__}, backend {backend}, device {device}, {os.cpu_count()} CPUs visible",
          file=sys.stderr)
    published = paper_gflops(FLAGS.backbone, FLAGS.output)
    print("backend,device,backbone,resizer,resizer_input,output,batch_size,images_per_s,step_s,time_ratio,"
          "flops_ratio,flops_from")

    def row(resizer, side, seconds, base_seconds):
        ratio, source = flops_ratio(resizer, side, published) if resizer != "none" else ("1.000", "-")
        print(f"{backend},{device},{FLAGS.backbone},{resizer},{side if resizer != 'none' else ''},{FLAGS.output},"
              f"{FLAGS.batch_size},{FLAGS.batch_size / seconds:.2f},{seconds:.4f},{seconds / base_seconds:.3f},"
              f"{ratio},{source}", flush=True)

    common = {"task": "classification", "backbone": FLAGS.backbone, "output_size": FLAGS.output,
              "num_classes": FLAGS.num_classes}
    backbone = build(resizer="bilinear", input_size=FLAGS.output, **common)
    first = step_seconds(backbone, FLAGS.output, keras, np)
    timed = [(r, side, step_seconds(build(resizer=r, input_size=side, **common), side, keras, np))
             for r in FLAGS.resizers for side in sizes]
    # The backbone alone is timed again last: the two rows show how much the machine drifted,
    # and the ratios use their mean.
    last = step_seconds(backbone, FLAGS.output, keras, np)
    base = (first + last) / 2
    row("none", FLAGS.output, first, base)
    for r, side, seconds in timed:
        row(r, side, seconds, base)
    row("none", FLAGS.output, last, base)
    if backend != "tensorflow" and "tensorflow" in sys.modules:
        print(f"# warning: TensorFlow was imported under the {backend} backend", file=sys.stderr)


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
