"""Regenerates the FLOPS column of a table that prints one (4 or 5): every row's model, counted with the TF profiler.

Prints, per row, the published GFLOPs, the measured ones and their ratio, and for the
proposed rows the resizer's share (row minus the model's own 224 baseline) published and
measured; first as CSV, then as an aligned table. Counts are forward FLOPs per image of
Conv2D, DepthwiseConv2dNative and MatMul (see resizer/flops.py; the profiler ignores
ResizeBilinear/ResizeBicubic and LeakyRelu).

    python scripts/flops.py --table 4
    python scripts/flops.py --table 5 --models efficientnet_b0
"""

import _bootstrap  # noqa: F401

import sys

from absl import app, flags

from resizer import tables
from resizer.flops import flops_tables, measure_table

_TABLE = flags.DEFINE_enum("table", "4", [str(t) for t in flops_tables()], "Published table to regenerate.")
_MODELS = flags.DEFINE_list("models", None, "Only these models (default: every model of the table).")

COLUMNS = ("model", "resizer", "resizer_input", "output", "paper_gflops", "measured_gflops", "ratio",
           "paper_resizer_share", "measured_resizer_share", "share_ratio")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def select_rows(table, models):
    rows = tables.rows(table)
    if models:
        known = sorted({r.backbone for r in rows})
        unknown = [m for m in models if m not in known]
        if unknown:
            raise app.UsageError(f"Table {table} has no model {', '.join(unknown)}; choose from {', '.join(known)}.")
        rows = [r for r in rows if r.backbone in models]
    return rows


def aligned(results):
    cells = [list(COLUMNS)] + [[_cell(r[c]) for c in COLUMNS] for r in results]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in cells)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    table = int(_TABLE.value)
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # the v1 profiler's deprecation notes are noise here
    rows = select_rows(table, _MODELS.value)
    progress = lambda r: print(f"measured {r['model']} {r['resizer']} {r['resizer_input'] or ''}->{r['output']}: "
                               f"{r['measured_gflops']:.4f} GFLOPs", file=sys.stderr, flush=True)
    results = measure_table(table, rows, on_row=progress)
    print(",".join(COLUMNS))
    for r in results:
        print(",".join(_cell(r[c]) for c in COLUMNS))
    print()
    print(aligned(results))


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
