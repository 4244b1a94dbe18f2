"""Exports a run's trained resizer alone (no backbone), for resizing on the client:

    python scripts/export.py --model_dir=runs/<experiment> --format=saved_model [--out=DIR]
    python scripts/export.py --model_dir=runs/<experiment> --format=tflite [--input_size=H,W] [--float16] [--out=FILE]

The model is rebuilt from the run's config.json and its latest checkpoint. The exported model
takes float32 RGB in [0, 1], (batch, H, W, 3), and returns (batch, h, w, 3) float32 at the
run's --output, not clipped to [0, 1]. SavedModel: signature `serving_default`, input
`images`, any batch and size. TFLite: input [1, H, W, 3] (default the run's --resizer_input),
float32, or float16 weights with --float16. Both go through keras.export.ExportArchive
(TFLite: TFLiteConverter.from_keras_model): a tf.saved_model.save of the Keras model, and so
from_concrete_functions, converts to all-NaN; resizer/export.py says why. Default output:
<model_dir>/export/. See docs/export.md.
"""

import _bootstrap

import sys

from absl import app, flags

flags.DEFINE_string("model_dir", None, "Model directory of a scripts/train.py run with a learned resizer.")
flags.DEFINE_enum("format", None, ["saved_model", "tflite"], "saved_model (any input size) or tflite (fixed size).")
flags.DEFINE_list("input_size", None, "TFLite input H,W in pixels (default: the run's --resizer_input square).")
flags.DEFINE_bool("float16", False, "TFLite: store the weights as float16 (half the file; input/output float32).")
flags.DEFINE_string("out", "", "Output path (default: <model_dir>/export/resizer_saved_model or "
                               "resizer_<H>x<W>[_float16].tflite).")
flags.mark_flags_as_required(["model_dir", "format"])
FLAGS = flags.FLAGS


def _input_size(value):
    if value is None:
        return None
    try:
        size = tuple(int(v) for v in value)
    except ValueError:
        size = ()
    if len(size) != 2 or min(size) < 1:
        raise app.UsageError(f"--input_size={','.join(value)}: expected two positive ints H,W, e.g. 448,448")
    return size


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}")
    size = _input_size(FLAGS.input_size)
    from resizer import export

    try:
        path, layer, size = export.export(FLAGS.model_dir, FLAGS.format, size, FLAGS.float16, FLAGS.out or None)
    except (FileNotFoundError, ValueError) as e:
        print(f"export.py: {e}", file=sys.stderr)
        return 1
    h, w = layer.output_size
    takes = "any HxW" if size is None else f"{size[0]}x{size[1]}"
    print(f"wrote {path}: {layer.name}, float32 RGB in [0, 1] ({takes}) -> {h}x{w} (not clipped)"
          + (", float16 weights" if FLAGS.float16 else ""))
    return 0


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
