"""Training speed: each backbone alone at 224 and behind the learned resizer at each input
size of Table 4, with the wall-time ratio beside the FLOPS ratio of the same two models.

    python scripts/bench_train.py                                  # the four Table 4 backbones
    python scripts/bench_train.py --backbones=resnet50 --sizes=368 --batch_size=8

The step is the real one of scripts/train.py (resizer.training.steps.make_train_step:
forward, smoothed cross-entropy, weight decay, momentum SGD update) on a fixed random batch,
so the input pipeline is not measured. Prints CSV:

    backbone,resizer_input,output,batch_size,images_per_s,step_s,time_ratio,gflops,flops_ratio

time_ratio = (resizer + backbone step time) / (backbone-alone step time at 224, same batch);
flops_ratio = the same ratio of forward FLOPs per image (TF profiler, as Table 4's column).
"""

import _bootstrap  # noqa: F401

import time

from absl import app, flags

from resizer import config

flags.DEFINE_list("backbones", ["inception_v2", "densenet121", "resnet50", "mobilenet_v2"], "Backbones to time.")
flags.DEFINE_list("sizes", ["224", "256", "320", "368", "448"], "Learned-resizer input sides (output: 224).")
flags.DEFINE_integer("batch_size", 4, "Images per step (as small as the machine needs; same for every model).")
flags.DEFINE_integer("steps", 5, "Timed steps per model (after --warmup steps).")
flags.DEFINE_integer("warmup", 2, "Untimed steps first (tracing, allocation).")
flags.DEFINE_integer("output", 224, "Backbone input side.")
flags.DEFINE_bool("jit_compile", False, "XLA-compile the step (slower on CPUs).")
FLAGS = flags.FLAGS


def time_model(values):
    """(seconds per training step, forward FLOPs per image) of one configuration."""
    import keras
    import tensorflow as tf

    from resizer import flops, losses
    from resizer.training import runtime
    from resizer.training.model import Run, build_model
    from resizer.training.steps import make_train_step

    cfg = config.make({"experiment": "bench", "backbone": values["backbone"], "output": FLAGS.output,
                       "batch_size": FLAGS.batch_size, "jit_compile": FLAGS.jit_compile, "strategy": "one_device",
                       **{k: v for k, v in values.items() if k != "backbone"}})
    strategy = runtime.make_strategy(cfg.strategy)
    with strategy.scope():
        model = build_model(cfg)
        optimizer = keras.optimizers.SGD(0.005, momentum=0.9)
        optimizer.build(model.trainable_variables)
    run = Run(cfg, strategy, model, "", True, 0)
    step = make_train_step(run, optimizer, losses.for_task("classification"), [])
    images = tf.random.uniform((cfg.batch_size, cfg.model_input, cfg.model_input, 3), seed=1)
    labels = tf.zeros((cfg.batch_size,), tf.int32)
    batches = iter(strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors((images, labels)).repeat()))
    for _ in range(FLAGS.warmup):
        float(step(batches)[1])
    began = time.perf_counter()
    for _ in range(FLAGS.steps):
        float(step(batches)[1])
    seconds = (time.perf_counter() - began) / FLAGS.steps
    return seconds, flops.count_flops(model)


def main(argv):
    del argv
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    print(f"# batch {FLAGS.batch_size}, {FLAGS.steps} timed steps after {FLAGS.warmup}; "
          f"{tf.config.list_physical_devices('GPU') or 'CPU only'}")
    print("backbone,resizer_input,output,batch_size,images_per_s,step_s,time_ratio,gflops,flops_ratio", flush=True)
    for backbone in FLAGS.backbones:
        base_s, base_flops = time_model({"backbone": backbone, "resizer": "bilinear"})
        print(_row(backbone, "", base_s, base_flops, base_s, base_flops), flush=True)
        for size in map(int, FLAGS.sizes):
            seconds, count = time_model({"backbone": backbone, "resizer": "learned", "resizer_input": size})
            print(_row(backbone, size, seconds, count, base_s, base_flops), flush=True)


def _row(backbone, size, seconds, count, base_s, base_flops):
    return (f"{backbone},{size},{FLAGS.output},{FLAGS.batch_size},{FLAGS.batch_size / seconds:.2f},{seconds:.3f},"
            f"{seconds / base_s:.2f},{count / 1e9:.2f},{count / base_flops:.2f}")


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
