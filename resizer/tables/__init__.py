"""The published tables the project reproduces, one `TableSpec` per module `table<N>.py`.

A table module defines `SPEC = TableSpec(number=N, ...)` (resizer/tables/spec.py says what
each field means). compare, plots, flops, the table runner and scripts/make_configs.py
iterate over the specs registered here; none of them names a table. Adding Table 10 is one
new file, resizer/tables/table10.py (plus its transcription resizer/paper/table10.csv).

    from resizer import tables
    tables.numbers()      # (4, 5, 6, 7, 8, 9), from the module names: imports no table
    tables.get(6).rows()  # its PublishedRows
    tables.rows(6)        # the same, computed once

Importing this package (and calling `numbers()`) imports no table and no TensorFlow of its own
(`import resizer` itself still loads Keras for `resizer.LearnedResizer`).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re

_MODULE = re.compile(r"table(\d+)$")

# How the figures and comparisons name a dataset's task (the datasets tables are measured on).
DATASET_TITLES = {"imagenet2012": "ImageNet classification", "ava": "AVA quality assessment"}


@functools.cache
def _modules():
    found = {}
    for module in pkgutil.iter_modules(__path__):
        match = _MODULE.match(module.name)
        if match:
            found[int(match.group(1))] = f"{__name__}.{module.name}"
    return dict(sorted(found.items()))


def numbers():
    """The registered table numbers, in order (what resizer.config.TABLES is)."""
    return tuple(_modules())


@functools.cache
def get(number):
    """The TableSpec of a table; ValueError naming the registered ones otherwise."""
    if number not in _modules():
        raise ValueError(f"Table {number!r} has no reproducible rows; choose one of {numbers()}.")
    spec = importlib.import_module(_modules()[number]).SPEC
    if spec.number != number:
        raise ValueError(f"{_modules()[number]} defines the spec of table {spec.number}, not {number}.")
    return spec


def specs():
    """Every TableSpec, by number."""
    return [get(n) for n in numbers()]


@functools.cache
def _rows(number):
    return tuple(get(number).rows())


def rows(number):
    """The PublishedRows of a table (computed once)."""
    return list(_rows(number))


def datasets(task):
    """The datasets the tables measure `task` on (the paper's: one per task)."""
    return sorted({spec.datasets[task] for spec in specs() if task in spec.datasets})


def matching(run, numbers_=None):
    """(table, PublishedRow) of every row a results.json-like record reproduces (PublishedRow.matches)."""
    return [(n, row) for n in (numbers() if numbers_ is None else numbers_) for row in rows(n) if row.matches(run)]
