"""Runs every row of a paper table in dependency order, then prints the comparison.

    python scripts/reproduce.py --table 4 --backbone resnet50 --dry_run   # commands + cost
    python scripts/reproduce.py --table 4 --backbone resnet50             # run them
    python scripts/reproduce.py --table 6 --runs_dir /big/disk/runs
    python scripts/reproduce.py --suite fashion_mnist                # real images (docs/real-data.md)

Baselines run before the joint runs that start from them, and Table 6/7 re-tuning after
the resizers it starts from. Experiments whose results.json is complete are skipped;
interrupted ones resume from their model directory's checkpoint. --dry_run prints a shell
script instead: one command per experiment (train.py, which evaluates at the end; eval.py for
evaluation-only rows), each experiment preceded by a
comment with its state and estimated cost: FLOPs per image x images seen, the GPU-hours
that is on a reference card (--card, or --images_per_second measured on yours) and the
disk of its model directory (resizer/cost.py has the rules).

--suite runs a suite of resizer.suites instead (each run through the training loop,
finished runs skipped), writes its results under --results_dir/<suite>/ (--size tiny: <suite>_tiny/) and prints its table.
"""

import _bootstrap  # noqa: F401

import os
import sys

from absl import app, flags

from resizer import compare, cost, suites, table_runner, tables

_TABLE = flags.DEFINE_integer("table", None, f"Paper table to reproduce ({', '.join(map(str, tables.numbers()))}).")
_BACKBONE = flags.DEFINE_string("backbone", None, "Only this backbone's rows (their dependencies still run).")
_DRY_RUN = flags.DEFINE_bool("dry_run", False, "Print the commands and their estimated cost; run nothing.")
_RUNS_DIR = flags.DEFINE_string("runs_dir", "runs", "Root of the model directories (runs/<experiment>).")
_FLOPS = flags.DEFINE_enum("flops", "paper", cost.FLOPS_SOURCES, "FLOPs per image of the estimate: the paper's "
                           "tables (+ the resizer's convolutions), or counted on the repo's model (slow).")
_CARD = flags.DEFINE_enum("card", cost.DEFAULT_CARD, tuple(cost.CARDS), "--dry_run: the reference card of the "
                          "GPU-hours (published ResNet-50 training throughputs, resizer/cost.py).")
_IMAGES_PER_SECOND = flags.DEFINE_float(
    "images_per_second", None, "--dry_run: GPU-hours from your own card instead: the images/s it trains our "
    "ResNet-50 at 224 (python scripts/bench_train.py --backbones=resnet50 --sizes=224 on it).")
_SUITE = flags.DEFINE_enum("suite", None, tuple(suites.SUITES), "Run this suite instead of a paper table.")
_SIZE = flags.DEFINE_enum("size", "full", ("full", "tiny"), "--suite: full (the measured suite) or tiny (seconds).")
_ROWS = flags.DEFINE_list("rows", [], "--suite: only these rows (empty: all).")
_DATA_DIR = flags.DEFINE_string("data_dir", "", "--suite: data directory (empty: $RESIZER_DATA_DIR, ...).")
_RESULTS_DIR = flags.DEFINE_string("results_dir", "results", "--suite: results go to <results_dir>/<suite>/ (tiny: <suite>_tiny/).")


def run_suite():
    try:
        table = suites.module(_SUITE.value).run(
            _SIZE.value, data_dir=_DATA_DIR.value, results_dir=_RESULTS_DIR.value, runs_dir=_RUNS_DIR.value,
            rows=_ROWS.value or None)
    except (ValueError, FileNotFoundError) as e:
        raise app.UsageError(str(e)) from None
    print(table, end="")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    if _SUITE.value:
        return run_suite()
    if _TABLE.value is None:
        raise app.UsageError("set --table (4..9) or --suite")
    python = "python" if _DRY_RUN.value else sys.executable
    try:
        card = cost.card(_CARD.value, _IMAGES_PER_SECOND.value)
        steps = table_runner.plan(_TABLE.value, _BACKBONE.value, _RUNS_DIR.value, _FLOPS.value, python=python,
                                  disk=_DRY_RUN.value, absolute=not _DRY_RUN.value)
    except ValueError as e:
        raise app.UsageError(str(e))
    if _DRY_RUN.value:
        print(table_runner.format_dry_run(steps, card), end="")
        return
    failed = table_runner.execute(steps)
    os.makedirs(_RUNS_DIR.value, exist_ok=True)  # the report of a sweep that failed at once
    print(compare.format_text(compare.build_report(_RUNS_DIR.value, (_TABLE.value,))), end="")
    if failed:
        sys.exit(f"{len(failed)} experiment(s) failed or were skipped: {', '.join(failed)}")


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
