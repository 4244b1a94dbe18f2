"""The paper's published tables (1, 2, 4 to 9) as data.

The CSV files beside this module are the checked transcription in the project's
`shared/paper/tables/` (see its README for what every column means and how garbled
parts of the extracted text were rebuilt). Do not edit a number here: the tests check
these copies against the paper's cross-table consistency rules.
"""

from __future__ import annotations

import csv
import re
from importlib import resources

# Every table<N>.csv beside this module: adding a transcription is adding its file.
TABLES = tuple(sorted(int(m.group(1)) for f in resources.files(__name__).iterdir()
                      if (m := re.fullmatch(r"table(\d+)\.csv", f.name))))

# Columns that hold names; every other non-empty cell is a number.
_TEXT_COLUMNS = {"task", "model", "metric", "baseline_resizer", "resizer", "target_model",
                 "initial_model", "method", "distortion"}
_INT_COLUMNS = {"filters_n", "res_blocks_r", "resizer_input", "output", "batch_size"}


def _parse(column, cell):
    if column in _TEXT_COLUMNS:
        return cell
    if cell == "":
        return None
    return int(cell) if column in _INT_COLUMNS else float(cell)


def path(table):
    """The packaged CSV file of a table (an importlib.resources Traversable)."""
    if table not in TABLES:
        raise ValueError(f"The paper has no transcribed table {table!r}; choose one of {TABLES}.")
    return resources.files(__name__).joinpath(f"table{table}.csv")


def load(table, raw=False):
    """Rows of a published table as dicts.

    Sizes, batch sizes, r and n come back as ints, metrics and GFLOPs as floats, and an
    empty cell (a baseline row's `resizer_input`) as None. With raw=True every cell is
    the string printed in the paper ("9.10", "24.0"), for exact comparisons.
    """
    with path(table).open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if raw:
        return rows
    return [{k: _parse(k, v) for k, v in row.items()} for row in rows]
