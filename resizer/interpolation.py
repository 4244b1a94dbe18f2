"""The interpolation methods: the single list of resize method names, for the pipeline's fixed
pre-resize, fixed resizers and the learned resizer's internal resizes. No TensorFlow import.

`area` is a fixed resize only: TensorFlow has no gradient for ResizeArea, so a resizer built
on it would silently stop learning.
"""

from __future__ import annotations

import difflib

# tf.image.resize / keras.ops.image.resize method names.
METHODS = ("bilinear", "bicubic", "area", "lanczos3", "lanczos5", "mitchellcubic", "gaussian", "nearest")
NO_GRADIENT = ("area",)
DIFFERENTIABLE = tuple(m for m in METHODS if m not in NO_GRADIENT)
# Kernels with negative lobes: they overshoot [0, 1] and the pipeline clips their output.
OVERSHOOTING = ("bicubic", "lanczos3", "lanczos5", "mitchellcubic")


def check(interpolation, differentiable=False):
    """`interpolation` when it is a method (with a gradient, if asked); ValueError naming the choices."""
    if differentiable and interpolation in NO_GRADIENT:
        raise ValueError(
            f"interpolation={interpolation!r} is not supported: TensorFlow has no gradient for {interpolation} "
            "resizing, so the resizer could not be trained. Use one of " + ", ".join(DIFFERENTIABLE) + ".")
    choices = DIFFERENTIABLE if differentiable else METHODS
    if interpolation not in choices:
        close = difflib.get_close_matches(str(interpolation), choices, n=2)
        raise ValueError(f"Unknown interpolation {interpolation!r}; expected one of {', '.join(choices)}."
                         + (f" Did you mean {', '.join(close)}?" if close else ""))
    return interpolation
