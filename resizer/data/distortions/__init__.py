"""The distortion registry: image degradations applied in the pipeline before the resizer (Table 9).
One module per family in this package, each registering `Distortion`s by name.

Each applies to one pre-resized float image in [0, 1] and returns one in [0, 1]. A distortion
may shrink the image (`downscale`): the model then gets input_size / downscale images, which
the learned resizer (or a fixed resize) up-scales back; `input_size` tells the model builder
that size. Random ones are stateless: the same seed gives the same result.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from resizer.registry import Registry

REGISTRY = Registry("distortion", package=__name__)
_ALIASES = {}
NONE = (None, "", "none")


@dataclasses.dataclass(frozen=True)
class Distortion:
    """name; apply(image (H, W, 3) float32 in [0, 1], stateless seed [2]) -> image; downscale:
    the factor it shrinks each side by (1: same size); aliases: other names accepted for it;
    description and label: what it is, in a sentence and in a figure's few words."""

    name: str
    apply: Callable
    downscale: int = 1
    aliases: tuple = ()
    description: str = ""
    label: str = ""  # short, for a figure's axis (default: the name)

    @property
    def short_label(self):
        return self.label or self.name


def register_distortion(distortion):
    for alias in distortion.aliases:
        _ALIASES[alias] = distortion.name
    return REGISTRY.register(distortion.name, distortion)


def names():
    return REGISTRY.names()


def canonical(distortion):
    """The registered name of a distortion (aliases resolved), or None for none ("", "none", None)."""
    if distortion in NONE:
        return None
    REGISTRY.names()  # loads the modules, which fill the aliases
    return REGISTRY.check(_ALIASES.get(distortion, distortion))


def get(distortion):
    """The Distortion of a name, or None for none."""
    name = canonical(distortion)
    return None if name is None else REGISTRY.get(name)


def downscale(distortion):
    spec = get(distortion)
    return 1 if spec is None else spec.downscale


def input_size(distortion, size):
    """The side of the images the model receives when the pipeline pre-resizes to `size`."""
    factor = downscale(distortion)
    if size % factor:
        raise ValueError(f"{canonical(distortion)} needs an input size divisible by {factor}, got {size}.")
    return size // factor


def apply(image, distortion, seed):
    """One (H, W, 3) float32 image in [0, 1], distorted; `seed` is a stateless seed (shape [2])."""
    spec = get(distortion)
    if spec is None:
        return image
    import tensorflow as tf

    return tf.clip_by_value(spec.apply(image, seed), 0.0, 1.0)
