"""The trained resizer alone (no backbone), for resizing on the client before sending an image.

The exported model takes float32 RGB images in [0, 1], shape (batch, H, W, 3), and returns
the resized image (batch, h, w, 3) float32, h x w the run's --output. The output is the
learned resize in image space, *not* clipped to [0, 1] (the paper applies no pixel loss to
it); the backbone's normalisation is not part of it, so the server feeds it to the model
exactly as the resizer layer's output was fed during training.

* SavedModel: signature `serving_default`, input `images` (None, None, None, 3): any batch
  and any input size.
* TFLite: a fixed input [1, H, W, 3] (default the run's --resizer_input square), float32;
  optionally float16 weights (dequantised to float32 when loaded, so input and output stay
  float32).

Why both routes go through `keras.export.ExportArchive` (`from_keras_model` for TFLite):
a Keras 3 variable is a wrapper around a `tf.Variable`, and when `tf.saved_model.save` (which
`TFLiteConverter.from_concrete_functions(funcs, model)` also calls) reaches the variables
through the Keras model, the wrapper exports itself as a *new* `tf.Variable` initialised from
the real one (`keras/src/backend/tensorflow/core.py`, `Variable._export_to_saved_model_graph`).
The SavedModel's graph-mode restore then writes the checkpoint into those copies (`Variable`,
`Variable_1`, ...) while the serving function reads the original handles (`conv2d/kernel`,
...), which nothing initialises. `tf.saved_model.load` (object-based) does not notice, but
the TFLite converter freezes variables through that graph-mode path and bakes uninitialised
memory into the weights: every layer with a variable (conv, dense, batch norm) comes out as
garbage (1e33) or NaN, and the whole resizer as all-NaN; variable-free ops (the half-pixel
bilinear resize included) convert exactly. `ExportArchive` tracks the raw `tf.Variable`s
(`v.value`) instead, so its SavedModel restores in graph mode too and converts to within
2e-6; `from_keras_model` is, under Keras 3, exactly ExportArchive + `from_saved_model`.
tests/test_export.py checks both files, and `from_saved_model` of the exported SavedModel,
against the Keras layer.
"""

from __future__ import annotations

import contextlib
import io
import os

import keras
import numpy as np
import tensorflow as tf

from resizer import resizers
from resizer.models import parts

INPUT_NAME = "images"
FORMATS = ("saved_model", "tflite")


def load_run(model_dir):
    """(model, config) of a scripts/train.py model directory, its latest checkpoint restored
    (resizer.training.model.load_run); a run without a trained resizer is refused."""
    from resizer.training.model import load_run as load_training_run

    model, cfg = load_training_run(model_dir)
    if parts(model)["resizer"] is None:
        raise ValueError(f"{model_dir} was trained with the fixed --resizer={cfg.resizer}: it has no learned "
                         f"resizer, nothing to export (on the client, resize as it does: "
                         f"{resizers.get(cfg.resizer).description}, to {cfg.output}x{cfg.output})")
    return model, cfg


def standalone(layer, input_size=None):
    """A float32 Keras model of a copy of `layer` alone: (batch, *input_size, 3) -> resized images.

    input_size None: any height and width (the SavedModel); (H, W): fixed (TFLite)."""
    config = {**layer.get_config(), "dtype": "float32"}  # a mixed-precision run still exports float32
    copy = type(layer).from_config(config)
    shape = (None, None, 3) if input_size is None else tuple(input_size) + (3,)
    images = keras.Input(shape, batch_size=None if input_size is None else 1, dtype="float32", name=INPUT_NAME)
    outputs = copy(images)
    weights = layer.get_weights()
    if len(weights) != len(copy.weights):
        raise ValueError(f"{layer.name}: its copy has {len(copy.weights)} weights, the trained layer {len(weights)}")
    copy.set_weights([np.asarray(w, np.float32) for w in weights])
    return keras.Model(images, outputs, name=layer.name)


def export_saved_model(model, path):
    """Writes `model` (see `standalone`) as a SavedModel whose `serving_default` takes any input size."""
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", lambda images: model(images, training=False),
                         input_signature=[tf.TensorSpec((None, None, None, 3), tf.float32, name=INPUT_NAME)])
    archive.write_out(path, verbose=False)
    return path


def tflite_bytes(model, float16=False):
    """The TFLite flatbuffer of a fixed-size `model` (see the module docstring for the route)."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if float16:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    with contextlib.redirect_stdout(io.StringIO()):  # ExportArchive prints every endpoint's signature
        return converter.convert()


def default_path(model_dir, fmt, input_size, float16):
    if fmt == "saved_model":
        return os.path.join(model_dir, "export", "resizer_saved_model")
    h, w = input_size
    return os.path.join(model_dir, "export", f"resizer_{h}x{w}{'_float16' if float16 else ''}.tflite")


def export(model_dir, fmt, input_size=None, float16=False, out=None):
    """scripts/export.py: writes the run's trained resizer; returns (path, layer, input_size)."""
    if fmt not in FORMATS:
        raise ValueError(f"--format={fmt}: expected one of {', '.join(FORMATS)}")
    if float16 and fmt != "tflite":
        raise ValueError("--float16 applies to --format=tflite only (the SavedModel keeps float32 weights)")
    if input_size is not None and fmt != "tflite":
        raise ValueError("--input_size applies to --format=tflite only (the SavedModel takes any input size)")
    model, cfg = load_run(model_dir)
    layer = parts(model)["resizer"]
    if fmt == "tflite" and input_size is None:
        input_size = (cfg.model_input, cfg.model_input)
    path = out or default_path(model_dir, fmt, input_size, float16)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if fmt == "saved_model":
        export_saved_model(standalone(layer), path)
    else:
        with open(path, "wb") as f:
            f.write(tflite_bytes(standalone(layer, input_size), float16))
    return path, layer, input_size
