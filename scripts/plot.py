"""Figures of Tables 4 to 9: the paper's numbers, with reproduced runs beside them.

    python scripts/plot.py                                   # runs/ if it exists, all tables
    python scripts/plot.py --results_dir runs/ --table 4,8 --out_dir results/figures
    python scripts/plot.py --published_only --out_dir docs/figures --formats png

Tables 4/5: top-1 error (PLCC) against total GFLOPs per backbone, proposed and baseline
curves; Tables 6/7: target x initial-resizer grids; Table 8: the (r, n) ablation; Table 9:
against Liu et al. [20]. Reproduced runs are hollow diamonds (crosses when partial).
"""

import _bootstrap  # noqa: F401

import os
import sys

from absl import app, flags

from resizer import compare, plots

_RESULTS_DIR = flags.DEFINE_string("results_dir", "runs", "Folder searched for results.json files "
                                   "(published numbers only when it does not exist).")
_PUBLISHED_ONLY = flags.DEFINE_bool("published_only", False, "Ignore runs: draw the paper's numbers alone.")
_TABLE = compare.define_table_flag()
_OUT_DIR = flags.DEFINE_string("out_dir", "results/figures", "Where table<N>.png/.svg are written.")
_FORMATS = flags.DEFINE_list("formats", ["png", "svg"], "Image formats (matplotlib names).")
_DPI = flags.DEFINE_integer("dpi", 90, "Resolution of raster formats.")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    tables = _TABLE.value
    report = None
    if not _PUBLISHED_ONLY.value:
        if os.path.isdir(_RESULTS_DIR.value):
            report = compare.build_report(_RESULTS_DIR.value, tables)
            print(f"{len(report.runs)} run(s) from {_RESULTS_DIR.value}, {len(report.skipped)} skipped")
        else:
            print(f"no folder {_RESULTS_DIR.value}: drawing the published numbers alone", file=sys.stderr)
    for path in plots.draw(tables, _OUT_DIR.value, report, tuple(_FORMATS.value), _DPI.value):
        print(f"wrote {path}")


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
