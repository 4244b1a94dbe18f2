"""resizer: the learned image resizer of Talebi & Milanfar, "Learning to Resize Images
for Computer Vision Tasks" (ICCV 2021), in TensorFlow/Keras.

Public surface: `LearnedResizer` (the Keras layer), `count_conv_weights` (Table 2's
parameter convention) and `build` (a backbone with the resizer, or a fixed resize, in
front; see `resizer.models`).
"""

# First, before anything imports TensorFlow: its import-time noise stays off the terminal.
from resizer import _quiet  # noqa: F401

from resizer.layers import LearnedResizer, ResidualBlock, count_conv_weights  # noqa: E402

__all__ = ["LearnedResizer", "ResidualBlock", "count_conv_weights", "build"]


def build(*args, **kwargs):
    """resizer.models.build, imported on first use so `import resizer` stays light."""
    from resizer.models import build as _build

    return _build(*args, **kwargs)
