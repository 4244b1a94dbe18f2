"""Experiment families outside the published tables, one module each.

A family module defines `experiments()` -> [resizer.experiments.Experiment] and, for a
dataset it introduces, `SHARED_FILES = {dataset: (comment, extra flags)}` (its shared flag
file configs/<flag_file>.flags; the rest of that file comes from the dataset's DatasetInfo).
Every module of this package is a family: adding one is one new file here.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil


@functools.cache
def modules():
    """The family modules, by name."""
    return tuple(importlib.import_module(f"{__name__}.{m.name}") for m in sorted(pkgutil.iter_modules(__path__),
                                                                                 key=lambda m: m.name))
