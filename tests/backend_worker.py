"""Run by tests/test_backends.py under another Keras backend (KERAS_BACKEND=jax):
`python tests/backend_worker.py DIR`. For every DIR/*.keras (saved under TensorFlow) it
writes DIR/<name>.<backend>.npz: the outputs on DIR/x.npy (training False and True) and the
gradient of mean((y - 0.5)^2) for every trainable weight, keyed by variable path; then it
trains one step of resizer.build(...) with each learned resizer, and writes DIR/report.json.
"""
import glob
import json
import os
import sys

import numpy as np

import resizer  # noqa: F401  (first: its import path must not need TensorFlow)
import resizer.muller  # noqa: F401

tf_after_import = "tensorflow" in sys.modules
import keras  # noqa: E402

backend = keras.backend.backend()


def gradients(model, x):
    if backend == "jax":
        import jax

        def loss(trainable):
            y, _ = model.stateless_call(trainable, [v.value for v in model.non_trainable_variables], x)
            return jax.numpy.mean((y - 0.5) ** 2)

        grads = jax.grad(loss)([v.value for v in model.trainable_variables])
    else:
        raise SystemExit(f"gradients not written for backend {backend}")
    return {v.path: np.asarray(g) for v, g in zip(model.trainable_variables, grads)}


def main(folder):
    x = np.load(os.path.join(folder, "x.npy"))
    for path in sorted(glob.glob(os.path.join(folder, "*.keras"))):
        model = keras.models.load_model(path)
        arrays = {"eval": np.asarray(model(x, training=False)), "train": np.asarray(model(x, training=True))}
        arrays.update({"grad:" + k: v for k, v in gradients(model, x).items()})
        np.savez(path[: -len(".keras")] + f".{backend}.npz", **arrays)
    losses = {}
    for kind in ("learned", "muller"):
        model = resizer.build("classification", "tiny_cnn", resizer=kind, input_size=32, output_size=16, num_classes=4)
        model.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        images = np.random.default_rng(0).random((4, 32, 32, 3), dtype=np.float32)
        losses[kind] = float(model.train_on_batch(images, np.arange(4)))
    with open(os.path.join(folder, "report.json"), "w") as f:
        json.dump({"backend": backend, "tensorflow_imported_by_resizer": tf_after_import,
                   "tensorflow_imported_at_end": "tensorflow" in sys.modules, "train_losses": losses}, f)


if __name__ == "__main__":
    main(sys.argv[1])
