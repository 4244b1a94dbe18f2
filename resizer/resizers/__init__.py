"""The resizer registry: what sits between the input image and the backbone. One module per
kind in this package (the paper's learned resizer; fixed resizes), each registering `Resizer`s.

Importing this package does not import TensorFlow: layers are made on demand.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from resizer.registry import Registry

REGISTRY = Registry("resizer", package=__name__)


@dataclasses.dataclass(frozen=True)
class Resizer:
    """A resizer.

    make: (output (h, w), filters, num_res_blocks, interpolation) -> a Keras layer named `layer_name`.
    learned: it has trained weights (checkpointed as the model's `resizer` part, exportable,
      transferable with --init_resizer_from); fixed resizes have none.
    shaped: `filters`/`num_res_blocks` (n, r) define it (Table 8); recorded in results.json.
    upscales: it may enlarge (a learned resizer's input must otherwise be >= its output).
    """

    name: str
    make: Callable
    layer_name: str
    learned: bool = False
    shaped: bool = False
    description: str = ""


def register_resizer(resizer):
    return REGISTRY.register(resizer.name, resizer)


def get(name):
    return REGISTRY.get(name)


def names():
    return REGISTRY.names()


def learned_layer_names():
    """Names of the layers that hold a trained resizer in a model (checkpoints, export, figures)."""
    return tuple(dict.fromkeys(r.layer_name for _, r in REGISTRY.items() if r.learned))
