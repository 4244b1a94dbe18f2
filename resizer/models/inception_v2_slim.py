"""Loads a TF-slim Inception-v2 checkpoint (`inception_v2.ckpt`, 1001 classes) into our model.

Slim names its variables `InceptionV2/<scope>/weights` (convs), `.../depthwise_weights` and
`.../pointwise_weights` and `.../biases` (the separable stem, which has no batch norm),
`.../BatchNorm/{beta,moving_mean,moving_variance}` (every other conv; no gamma: scale=False)
and `InceptionV2/Logits/Conv2d_1c_1x1/{weights, biases}` (1001 classes, index 0 =
background). Our layers carry the same scopes with "/" written "_" (see
`resizer.models.inception_v2`).

A checkpoint whose stem has batch norm instead of biases (`Conv2d_1a_7x7/BatchNorm/...`,
what a network built under an arg scope that also normalises `separable_conv2d` writes, as
object-detection's feature extractors do) loads too: the inference-mode batch norm is an
affine map per output channel, folded exactly into the pointwise kernel and the biases.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from resizer.models.inception_v2 import BLOCKS, BN_EPSILON, STEM, keras_name

SCOPE = "InceptionV2"
LOGITS = f"{SCOPE}/Logits/Conv2d_1c_1x1"


def conv_scopes():
    """Every conv scope of the network, in order (the stem first)."""
    yield STEM
    yield "Conv2d_2b_1x1"
    yield "Conv2d_2c_3x3"
    for block, branches in BLOCKS:
        for branch in branches:
            for step in branch:
                if step[0] == "conv":
                    yield f"{block}/{step[1]}"


def backbone_variables(backbone):
    """{slim variable name: Keras variable} of the Inception-v2 features model."""
    mapping = {}
    for scope in conv_scopes():
        conv = backbone.get_layer(keras_name(scope))
        if scope == STEM:
            mapping[f"{SCOPE}/{scope}/depthwise_weights"] = conv.depthwise_kernel
            mapping[f"{SCOPE}/{scope}/pointwise_weights"] = conv.pointwise_kernel
            mapping[f"{SCOPE}/{scope}/biases"] = conv.bias
            continue
        mapping[f"{SCOPE}/{scope}/weights"] = conv.kernel
        bn = backbone.get_layer(keras_name(scope + "/BatchNorm"))
        for name in ("beta", "moving_mean", "moving_variance"):
            mapping[f"{SCOPE}/{scope}/BatchNorm/{name}"] = getattr(bn, name)
    return mapping


def is_slim_checkpoint(path):
    """True when `path` is a TF checkpoint holding slim Inception-v2 variables."""
    try:
        names = tf.train.load_checkpoint(path).get_variable_to_shape_map()
    except (tf.errors.NotFoundError, tf.errors.DataLossError, ValueError):
        return False
    return f"{SCOPE}/{STEM}/depthwise_weights" in names


def load_slim_checkpoint(model, path):
    """Loads slim Inception-v2 weights into a ResizerModel with backbone "inception_v2".

    The logits are loaded when the model classifies 1000 classes (slim's background class
    0 is dropped) or 1001; otherwise (IQA, CIFAR-10) only the backbone is loaded.
    Returns {"variables": number of backbone variables loaded, "head": what happened to it}.
    """
    try:
        reader = tf.train.load_checkpoint(path)
    except (tf.errors.NotFoundError, ValueError) as e:
        raise FileNotFoundError(f"No TF checkpoint at {path!r} (give the prefix, e.g. .../inception_v2.ckpt, "
                                f"beside its .index and .data files): {e}") from None
    shapes = reader.get_variable_to_shape_map()
    backbone = model.get_layer("backbone")
    targets = backbone_variables(backbone)
    values = _folded_stem(reader, shapes)
    missing = sorted(set(targets) - set(shapes) - set(values))
    if missing:
        raise ValueError(f"{path} is not a TF-slim Inception-v2 checkpoint: {len(missing)} of its "
                         f"{len(targets)} variables are missing, e.g. {missing[:3]}.")
    for name, variable in targets.items():
        if name not in values and tuple(shapes[name]) != tuple(variable.shape):
            raise ValueError(f"{path}: {name} has shape {tuple(shapes[name])}, the model expects "
                             f"{tuple(variable.shape)}.")
    for name, variable in targets.items():
        variable.assign(values[name] if name in values else reader.get_tensor(name))
    report = {"variables": len(targets), "head": _load_logits(model, reader, shapes)}
    if values:
        report["stem"] = "batch norm folded into the separable conv's pointwise kernel and biases"
    return report


def _folded_stem(reader, shapes):
    """{pointwise_weights, biases} of a stem stored with batch norm and no biases (else {})."""
    stem = f"{SCOPE}/{STEM}"
    bn = f"{stem}/BatchNorm"
    if f"{stem}/biases" in shapes or f"{bn}/moving_variance" not in shapes:
        return {}
    mean = reader.get_tensor(f"{bn}/moving_mean").astype("float64")
    gamma = reader.get_tensor(f"{bn}/gamma").astype("float64") if f"{bn}/gamma" in shapes else 1.0
    beta = reader.get_tensor(f"{bn}/beta").astype("float64") if f"{bn}/beta" in shapes else 0.0
    scale = gamma / np.sqrt(reader.get_tensor(f"{bn}/moving_variance").astype("float64") + BN_EPSILON)
    pointwise = reader.get_tensor(f"{stem}/pointwise_weights").astype("float64") * scale
    return {f"{stem}/pointwise_weights": pointwise.astype("float32"),
            f"{stem}/biases": (beta - mean * scale).astype("float32")}


def _load_logits(model, reader, shapes):
    head_name = getattr(model, "head_name", None)
    if head_name != "logits":
        return "not loaded: the model has no classification head"
    if f"{LOGITS}/weights" not in shapes:
        return "not loaded: the checkpoint has no logits"
    dense = model.get_layer("logits")
    kernel = np.asarray(reader.get_tensor(f"{LOGITS}/weights"))
    kernel = kernel.reshape(kernel.shape[-2], kernel.shape[-1])
    bias = np.asarray(reader.get_tensor(f"{LOGITS}/biases"))
    wanted = int(dense.kernel.shape[-1])
    if kernel.shape[0] != int(dense.kernel.shape[0]):
        return f"not loaded: feature size {kernel.shape[0]} != {int(dense.kernel.shape[0])}"
    if kernel.shape[1] == wanted + 1:
        kernel, bias = kernel[:, 1:], bias[1:]
        note = "loaded (background class dropped)"
    elif kernel.shape[1] == wanted:
        note = "loaded"
    else:
        return f"not loaded: the checkpoint has {kernel.shape[1]} classes, the model {wanted}"
    dense.kernel.assign(kernel)
    dense.bias.assign(bias)
    return note
