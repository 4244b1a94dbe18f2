"""What a trained resizer does to an image, as the paper's Figures 2, 4, 5 and 6 show it.

For each image: the original, the plain resize (the resizer's own interpolation, bilinear
or bicubic), the learned resize, and how far the learned one departs from the plain one.
The learned output is not bounded to [0, 1] (no pixel loss, Section 3.2) and a trained one
mostly lies outside it: by default the plain and the learned output are shown on one range
per image (robust percentiles of both), so they compare at a glance, and their signed
difference in a diverging colour map on a symmetric range; the figure states both ranges.
"""

from __future__ import annotations

import glob
import os

import matplotlib

matplotlib.use("Agg")  # files only

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from resizer import resizers  # noqa: E402
from resizer.layers import LearnedResizer, resize_images  # noqa: E402

# Photographs shipped inside the scikit-image wheel (no download): a person, a cat, a
# still life and an outdoor scene.
DEFAULT_IMAGES = ("astronaut", "chelsea", "coffee", "rocket")


def _import_models():
    # Registers ResizerModel and its layers with Keras so that .keras files of full models load.
    import resizer.models  # noqa: F401


def find_resizer(model):
    """The trained resizer of a model: its resizer part (resizer.models.parts) for ours, else the
    only layer of a trained-resizer class in it (a .keras file of a model of your own)."""
    from resizer.models import ResizerModel, parts
    from resizer.muller import MullerResizer

    if isinstance(model, ResizerModel):
        found = [layer for layer in (parts(model)["resizer"],) if layer is not None]
    else:
        found = [layer for layer in model._flatten_layers(include_self=True, recursive=True)
                 if isinstance(layer, (LearnedResizer, MullerResizer))]
    if len(found) != 1:
        what = ("no LearnedResizer or MULLER layer (a bilinear/bicubic baseline?)" if not found
                else f"{len(found)} trained resizers")
        raise ValueError(f"model {model.name!r} has {what}; visualize needs a model with one trained resizer.")
    return found[0]


def model_input_size(model):
    """(height, width) of a model's fixed image input, or None."""
    shape = getattr(model, "input_shape", None)
    if isinstance(shape, tuple) and len(shape) == 4 and shape[1] and shape[2]:
        return int(shape[1]), int(shape[2])
    return None


def _keras_file(directory):
    files = sorted(glob.glob(os.path.join(directory, "*.keras")), key=os.path.getmtime)
    preferred = [f for f in files if os.path.basename(f) == "model.keras"]
    return (preferred or files or [None])[-1]  # model.keras, else the newest


def _load_keras(source):
    _import_models()
    try:
        model = keras.saving.load_model(source, compile=False)
    except Exception as e:  # Keras raises many types for foreign or corrupt files
        raise ValueError(f"cannot load {source} as a Keras model: {e}") from e
    return find_resizer(model), model_input_size(model)


def _load_training_checkpoint(prefix, directory):
    """The learned resizer of a scripts/train.py checkpoint (resizer.training.model.load_run)."""
    _import_models()
    from resizer.training.model import load_run

    model, cfg = load_run(directory, prefix)
    if not resizers.get(cfg.resizer).learned:
        raise ValueError(f"{directory}: the run used --resizer={cfg.resizer}; it has no learned resizer to show")
    return find_resizer(model), model_input_size(model)


def load_resizer(path):
    """(LearnedResizer, model input size or None) from what training or Keras saved.

    `path`: a .keras file (a model with a `learned_resizer` layer); a model directory of
    scripts/train.py (its latest checkpoint, settings from its config.json); a checkpoint
    prefix (`.../ckpt-12`) inside such a directory; or a directory holding a .keras file.
    """
    if os.path.isfile(path):
        return _load_keras(path)
    prefix, directory = None, path
    if os.path.isfile(path + ".index"):
        prefix, directory = path, os.path.dirname(path)
    elif os.path.isdir(path):
        prefix = tf.train.latest_checkpoint(path)
    else:
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    config_path = os.path.join(directory, "config.json")
    if prefix and os.path.isfile(config_path):
        return _load_training_checkpoint(prefix, directory)
    keras_file = _keras_file(directory) if os.path.isdir(directory) else None
    if keras_file:
        return _load_keras(keras_file)
    raise FileNotFoundError(f"{path} holds no training checkpoint with a config.json and no .keras model file; "
                            "pass a model directory of scripts/train.py, a checkpoint prefix in one, or a .keras "
                            f"file of a model with a trained resizer layer.")


def sample_image(name):
    """One of scikit-image's bundled photographs as float32 RGB in [0, 1]."""
    import skimage.data

    if name not in DEFAULT_IMAGES:
        raise ValueError(f"unknown sample image {name!r}; choose one of {DEFAULT_IMAGES} or pass a file path.")
    return _to_rgb_float(getattr(skimage.data, name)())


def read_image(path):
    """An image file as float32 RGB in [0, 1] (grey and alpha handled)."""
    import skimage.io

    if not os.path.isfile(path):
        raise FileNotFoundError(f"image {path} does not exist")
    try:
        image = skimage.io.imread(path)
    except Exception as e:
        raise ValueError(f"cannot read {path} as an image: {e}") from e
    return _to_rgb_float(image)


def _to_rgb_float(image):
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] not in (3, 4):
        raise ValueError(f"expected an RGB(A) or grey image, got shape {image.shape}")
    image = image[..., :3]
    scale = 255.0 if image.dtype == np.uint8 else (65535.0 if image.dtype == np.uint16 else 1.0)
    return (image.astype(np.float32) / scale).clip(0.0, 1.0)


def center_square(image):
    """The largest central square, as the pipeline's fixed-size inputs are square."""
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return image[top:top + side, left:left + side]


def resize_panels(resizer, image, input_size=None):
    """{original, plain, learned, difference} arrays for one float RGB image.

    The image is centre-cropped to a square and, when input_size is given (the model's
    input), resized to it first with the resizer's interpolation, as the data pipeline does.
    """
    original = center_square(image)
    if input_size is not None:
        original = resize_images(tf.constant(original[None]), input_size, resizer.interpolation).numpy()[0]
        original = original.clip(0.0, 1.0)
    batch = tf.constant(original[None], tf.float32)
    plain = resize_images(batch, resizer.output_size, resizer.interpolation).numpy()[0]
    learned = np.asarray(resizer(batch, training=False), np.float32)[0]
    return {"original": original, "plain": plain, "learned": learned, "difference": learned - plain}


DISPLAYS = ("shared", "clip", "stretch")
SHARED_PERCENTILES = (0.5, 99.5)


def shared_range(plain, learned, percentiles=SHARED_PERCENTILES):
    """(lo, hi): the robust range of the plain and the learned output together (all channels),
    so that both are shown on the same scale and only the extreme tails saturate."""
    lo, hi = (float(v) for v in np.percentile(np.concatenate([plain.ravel(), learned.ravel()]), percentiles))
    return lo, max(hi, lo + 1e-6)


def display_learned(learned, display="clip"):
    """(array in [0, 1], caption) of a learned output that may leave [0, 1], on its own.

    clip: values outside [0, 1] saturate. stretch: the 1st..99th percentile of all
    channels together is mapped linearly to [0, 1] (colours keep their relations), for
    resizers whose output lies mostly outside [0, 1]. (figure's default, "shared", maps the
    plain and the learned output through one range: see shared_range.)
    """
    outside = 100 * float(np.mean((learned < 0) | (learned > 1)))
    if display == "clip":
        return learned.clip(0, 1), f"clipped, {outside:.1f}% out of [0,1]"
    if display == "stretch":
        lo, hi = (float(v) for v in np.percentile(learned, [1, 99]))
        scaled = (learned - lo) / max(hi - lo, 1e-6)
        return scaled.clip(0, 1), f"[{lo:.2f}, {hi:.2f}] stretched to [0,1]"
    raise ValueError(f"display {display!r}: expected one of {DISPLAYS}")


DIFFERENCE_CMAP = "RdBu_r"  # diverging: red where the learned output is brighter, blue darker


def display_panels(panels, display="shared"):
    """{plain, learned: arrays in [0, 1]; difference: signed 2-D map; their captions; scale}.

    shared (default): the plain and the learned output mapped linearly through one range,
    shared_range of the two, as the paper's figures show them side by side; clip/stretch: the
    plain resize as it is and the learned output as display_learned shows it. The difference
    (learned - plain, mean over RGB) is signed, for a diverging colour map on a symmetric
    range +-scale (its 99.5th percentile of |difference|).
    """
    plain, learned = panels["plain"], panels["learned"]
    if display == "shared":
        lo, hi = shared_range(plain, learned)
        shown = {name: ((panels[name] - lo) / (hi - lo)).clip(0, 1) for name in ("plain", "learned")}
        saturated = 100 * float(np.mean((learned < lo) | (learned > hi)))
        captions = {"plain": f"[{lo:.2f}, {hi:.2f}]", "learned": f"[{lo:.2f}, {hi:.2f}], {saturated:.1f}% beyond"}
    else:
        learned_shown, caption = display_learned(learned, display)
        shown = {"plain": plain.clip(0, 1), "learned": learned_shown}
        captions = {"plain": "[0, 1]", "learned": caption}
    difference = panels["difference"].mean(axis=-1)
    scale = max(float(np.percentile(np.abs(difference), 99.5)), 1e-6)  # a few extreme pixels would wash it out
    return {**shown, "difference": difference, "captions": captions, "scale": scale}


def figure(resizer, images, names, input_size=None, title=None, display="shared"):
    """A matplotlib Figure: one row per image, 4 panels (original, plain, learned, learned - plain)."""
    if not images:
        raise ValueError("no images to show")
    if display not in DISPLAYS:
        raise ValueError(f"display {display!r}: expected one of {DISPLAYS}")
    method = resizer.interpolation
    out_h, out_w = resizer.output_size
    fig, axes = plt.subplots(len(images), 4, figsize=(12.5, 3.2 * len(images)), squeeze=False)
    for row, (image, name) in zip(axes, zip(images, names)):
        p = resize_panels(resizer, image, input_size)
        shown = display_panels(p, display)
        scale, captions = shown["scale"], shown["captions"]
        h, w = p["original"].shape[:2]
        panels = ((p["original"], f"{name}: input {h}x{w}"),
                  (shown["plain"], f"{method} {out_h}x{out_w} ({captions['plain']})"),
                  (shown["learned"], f"learned {out_h}x{out_w} ({captions['learned']})"),
                  (shown["difference"], f"learned - {method}, RGB mean (\u00b1{scale:.3f})"))
        for ax, (array, label) in zip(row, panels):
            if array.ndim == 2:
                im = ax.imshow(array, cmap=DIFFERENCE_CMAP, vmin=-scale, vmax=scale, interpolation="nearest")
                fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
            else:
                ax.imshow(array, interpolation="nearest")
            ax.set_title(label, fontsize=8)
            ax.set_axis_off()
    heading = title or "Learned resizer"
    shown_as = {"shared": "plain and learned shown on one range per image (their joint "
                          f"{SHARED_PERCENTILES[0]:g}-{SHARED_PERCENTILES[1]:g}th percentiles)",
                "clip": "learned output shown clipped to [0, 1]",
                "stretch": "learned output shown contrast-stretched"}[display]
    fig.suptitle(f"{heading}\nthe learned output is not bounded to [0, 1]; {shown_as}; difference: red = learned "
                 "brighter, blue = darker", fontsize=9)
    fig.tight_layout()
    return fig
