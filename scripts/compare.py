"""Reproduced results beside the paper's Tables 4 to 9.

    python scripts/compare.py --results_dir runs/ --table 4
    python scripts/compare.py --results_dir runs/ --table all --format md
    python scripts/compare.py --results_dir runs/ --table 4 --compute_flops   # repo FLOPS of rows not run

Finds every results.json under --results_dir, matches each to its published rows by the
settings it records, prints one table per paper table (text, md or csv), and writes
<csv_dir>/runs.csv (one row per run, every setting) and <csv_dir>/table<N>.csv.
Statuses and tolerances: resizer/compare.py and docs/compare.md.
"""

import _bootstrap  # noqa: F401

import shutil
import sys

from absl import app, flags

from resizer import compare

_RESULTS_DIR = flags.DEFINE_string("results_dir", "runs", "Folder searched (recursively) for results.json files.")
_TABLE = compare.define_table_flag()
_FORMAT = flags.DEFINE_enum("format", "text", sorted(compare.FORMATS), "Output format on stdout.")
_CSV_DIR = flags.DEFINE_string("csv_dir", "results", "Where runs.csv and table<N>.csv are written; empty: none.")
_WIDTH = flags.DEFINE_integer(
    "width", None, "--format=text: fit the tables in this many columns (wider ones are split into blocks of "
    "columns, notes wrap); 0: no limit. Default: the terminal's width when printing to one, else no limit.")
_COMPUTE_FLOPS = flags.DEFINE_bool(
    "compute_flops", False, "Build the model of every row not run and count its FLOPs (slow: minutes for all "
    "tables). Runs always show the gflops their results.json records.")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    tables = _TABLE.value
    gflops_of_row = compare.model_gflops if _COMPUTE_FLOPS.value else None
    try:
        report = compare.build_report(_RESULTS_DIR.value, tables, gflops_of_row=gflops_of_row)
    except (FileNotFoundError, ImportError) as e:
        sys.exit(f"error: {e}")
    if _FORMAT.value == "text":
        width = _WIDTH.value
        if width is None:
            width = shutil.get_terminal_size().columns if sys.stdout.isatty() else 0
        if width < 0:
            raise app.UsageError(f"--width must be >= 0 (0: no limit), got {width}")
        print(compare.format_text(report, width or None), end="")
    else:
        print(compare.FORMATS[_FORMAT.value](report), end="")
    if _CSV_DIR.value:
        for path in compare.write_csvs(report, _CSV_DIR.value):
            print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
