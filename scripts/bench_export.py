"""Latency per image, on this machine's CPU, of the exported learned resizer against a plain
bilinear resize and against the backbone, measured in one run and printed as ratios:

    python scripts/bench_export.py [--model_dir=runs/<experiment>] [--repeats=10] [--threads=0]

Cases: 448x448 -> 224x224 and 768x1024 (H x W) -> 224x224, batch 1, float32. Each is timed
as the exported SavedModel (TensorFlow) and as the exported TFLite file (fixed input, float32,
the TFLite interpreter); the bilinear baseline is tf.image.resize in a tf.function and the
same resize converted to TFLite; the backbone is keras.applications ResNet50V2 (weights=None)
at 224x224 in a tf.function (TensorFlow). Without --model_dir the resizer is the paper's default
(n = 16, r = 1) with random weights: latency does not depend on the weights. Reported: the
median of --repeats rounds after warm-up; within a round the five callables of a case run in
turn, so that the ratios hold on a machine whose load changes.
"""

import _bootstrap

import os
import statistics
import tempfile
import time
import warnings

from absl import app, flags

flags.DEFINE_string("model_dir", "", "Export this run's trained resizer (default: an untrained n=16, r=1 resizer "
                                     "with a 224x224 output).")
flags.DEFINE_integer("repeats", 10, "Timed calls per case (after 2 warm-up calls).")
flags.DEFINE_integer("threads", 0, "CPU threads of TensorFlow and TFLite (0: all cores; TensorFlow's default).")
FLAGS = flags.FLAGS

CASES = ((448, 448), (768, 1024))


def _interleaved_ms(fns, repeats):
    """{name: median ms} of callables timed in turn, round after round, so that a change of
    load on a shared machine hits every one of them alike (the ratios are what is reported)."""
    for fn in fns.values():  # warm-up: tracing, allocation
        fn()
        fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(t) for name, t in times.items()}


def _tflite_runner(content, x, threads):
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_content=content, num_threads=threads or os.cpu_count())
    interpreter.allocate_tensors()
    index = interpreter.get_input_details()[0]["index"]
    out = interpreter.get_output_details()[0]["index"]

    def run():
        interpreter.set_tensor(index, x)
        interpreter.invoke()
        return interpreter.get_tensor(out)

    return run


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}")
    import keras
    import numpy as np
    import tensorflow as tf

    warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")

    if FLAGS.threads:
        tf.config.threading.set_intra_op_parallelism_threads(FLAGS.threads)
        tf.config.threading.set_inter_op_parallelism_threads(FLAGS.threads)
    from resizer import LearnedResizer, export
    from resizer.models import parts

    if FLAGS.model_dir:
        model, _ = export.load_run(FLAGS.model_dir)  # refuses a run without a trained resizer
        layer = parts(model)["resizer"]
    else:
        keras.utils.set_random_seed(0)
        layer = LearnedResizer(224, filters=16, num_res_blocks=1, name="learned_resizer")
        layer.build((None, None, None, 3))
    out_hw = tuple(layer.output_size)
    with tempfile.TemporaryDirectory() as tmp:
        serve = tf.saved_model.load(export.export_saved_model(export.standalone(layer), os.path.join(tmp, "sm")))
        serve = serve.signatures["serving_default"]
        bilinear = tf.function(lambda x: tf.image.resize(x, out_hw))
        backbone = keras.applications.ResNet50V2(weights=None, input_shape=(224, 224, 3))
        backbone_fn = tf.function(lambda x: backbone(x, training=False))
        rng = np.random.default_rng(0)
        x224 = tf.constant(rng.random((1, 224, 224, 3), dtype=np.float32))
        print(f"CPU: {os.cpu_count()} cores visible, {FLAGS.threads or os.cpu_count()} threads; batch 1, float32; median "
              f"of {FLAGS.repeats} rounds, every case of a row timed in turn in each round")
        print(f"{'input -> output':22s} {'runtime':11s} {'learned ms':>10s} {'bilinear ms':>11s} {'backbone ms':>11s} "
              f"{'learned/bilinear':>16s} {'learned/backbone':>16s}")
        for in_hw in CASES:
            x = rng.random((1,) + in_hw + (3,), dtype=np.float32)
            xt = tf.constant(x)
            plain = keras.Sequential([keras.Input(in_hw + (3,), batch_size=1),
                                      keras.layers.Resizing(*out_hw, interpolation="bilinear")])
            ms = _interleaved_ms({
                "backbone": lambda: backbone_fn(x224).numpy(),
                "TensorFlow learned": lambda: next(iter(serve(images=xt).values())).numpy(),
                "TensorFlow bilinear": lambda: bilinear(xt).numpy(),
                "TFLite learned": _tflite_runner(export.tflite_bytes(export.standalone(layer, in_hw)), x, FLAGS.threads),
                "TFLite bilinear": _tflite_runner(export.tflite_bytes(plain), x, FLAGS.threads),
            }, FLAGS.repeats)
            case = f"{in_hw[0]}x{in_hw[1]} -> {out_hw[0]}x{out_hw[1]}"
            for runtime in ("TensorFlow", "TFLite"):
                learned_ms, plain_ms = ms[f"{runtime} learned"], ms[f"{runtime} bilinear"]
                print(f"{case:22s} {runtime:11s} {learned_ms:10.2f} {plain_ms:11.3f} {ms['backbone']:11.1f} "
                      f"{learned_ms / plain_ms:16.0f} {learned_ms / ms['backbone']:16.2f}")
    return 0


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
