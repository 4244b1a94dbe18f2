"""Runs every row of a paper table in dependency order, then prints the comparison.

    python scripts/reproduce.py --table 4 --backbone resnet50 --dry_run   # commands + cost
    python scripts/reproduce.py --table 4 --backbone resnet50             # run them
    python scripts/reproduce.py --table 6 --runs_dir /big/disk/runs

Baselines run before the joint runs that start from them, and Table 6/7 re-tuning after
the resizers it starts from. Experiments whose results.json is complete are skipped;
interrupted ones resume from their model directory's checkpoint. --dry_run prints a shell
script instead: one command per experiment (train.py, which evaluates at the end; eval.py for
evaluation-only rows), each experiment preceded by a
comment with its state and estimated cost (FLOPs per image x images seen; see
resizer/sweep.py for the rule).
"""

import _bootstrap  # noqa: F401

import os
import sys

from absl import app, flags

from resizer import compare, sweep

_TABLE = flags.DEFINE_integer("table", None, "Paper table to reproduce (4..9).")
_BACKBONE = flags.DEFINE_string("backbone", None, "Only this backbone's rows (their dependencies still run).")
_DRY_RUN = flags.DEFINE_bool("dry_run", False, "Print the commands and their estimated cost; run nothing.")
_RUNS_DIR = flags.DEFINE_string("runs_dir", "runs", "Root of the model directories (runs/<experiment>).")
_FLOPS = flags.DEFINE_enum("flops", "paper", sweep.FLOPS_SOURCES, "FLOPs per image of the estimate: the paper's "
                           "tables (+ the resizer's convolutions), or counted on the repo's model (slow).")
flags.mark_flag_as_required("table")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    python = "python" if _DRY_RUN.value else sys.executable
    try:
        steps = sweep.plan(_TABLE.value, _BACKBONE.value, _RUNS_DIR.value, _FLOPS.value, python=python)
    except ValueError as e:
        raise app.UsageError(str(e))
    if _DRY_RUN.value:
        print(sweep.format_dry_run(steps), end="")
        return
    failed = sweep.execute(steps)
    os.makedirs(_RUNS_DIR.value, exist_ok=True)  # the report of a sweep that failed at once
    tables = (_TABLE.value,) if _TABLE.value in compare.COMPARED_TABLES else compare.COMPARED_TABLES
    print(compare.format_text(compare.build_report(_RUNS_DIR.value, tables)), end="")
    if failed:
        sys.exit(f"{len(failed)} experiment(s) failed or were skipped: {', '.join(failed)}")


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
