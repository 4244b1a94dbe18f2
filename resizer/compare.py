"""Reproduced runs beside the paper's published rows (every table of resizer.tables: 4 to 9).

Every `results.json` under a folder is matched to published rows by the settings it
records (never by its path), with the one row matcher `PublishedRow.matches`: a run matches
a row when its task, dataset (the row's: imagenet2012 for classification, ava for IQA) and
every setting that defines the row (the table spec's `rows`) agree; its `table`
field only has to be non-null (null marks a run of our own, e.g. the demo). One run can
reproduce several cells: the default resizer (r=1, n=16) at 368->224 trained from scratch
is the Table 4/5 row, Table 8's (r=1, n=16) cell and the Table 6/7 diagonal (the paper
prints the same numbers there), so it is listed in each of those tables.

Status of a run against a row: `partial` when it evaluated a subset, trained on a subset,
trained less than 99 % of its planned epochs, or used another batch size than the row
prints; otherwise `matches` when every published metric is within TOLERANCES and
`differs` when not. Rows without a run are `not run`. Rows with several runs list each
and their mean.
"""

from __future__ import annotations

import csv
import io
import os
import textwrap
from dataclasses import dataclass, field

from resizer import results, settings, tables, tasks
from resizer.files import atomic_write_text
from resizer.tables.spec import ROW_SETTINGS, PublishedRow

# Largest |reproduced - published| that still counts as reproducing the number, and each metric's
# column label: the task registry's (resizer.tasks, Reported).
TOLERANCES = {name: r.tolerance for name, r in tasks.reported_metrics().items()}
# A run counts as fully trained at 99 % of its planned epochs (steps are floored per epoch).
EPOCH_SLACK = 0.01
STATUSES = ("matches", "differs", "partial", "not run")
METRIC_LABELS = {name: r.label for name, r in tasks.reported_metrics().items()}


def _task_metrics(task):
    return results.METRICS[task]


@dataclass(frozen=True)
class RunResult:
    """One results.json found under the searched folder."""
    path: str  # relative to the searched folder
    data: dict  # the validated results.json


def find_results(results_dir):
    """Sorted paths of every file named results.json under a folder."""
    if not os.path.isdir(results_dir):
        raise FileNotFoundError(f"results folder {results_dir!r} does not exist; pass the folder that holds "
                                "the runs' model directories (e.g. --results_dir runs/).")
    found = []
    for root, dirs, files in os.walk(results_dir):
        dirs.sort()
        if "results.json" in files:
            found.append(os.path.join(root, "results.json"))
    return sorted(found)


def load_runs(results_dir):
    """(runs, skipped): valid results.json files, and (path, reason) for those that are not."""
    runs, skipped = [], []
    for path in find_results(results_dir):
        rel = os.path.relpath(path, results_dir)
        try:
            runs.append(RunResult(rel, results.read(path)))
        except ValueError as e:
            skipped.append((rel, _one_line(str(e).replace(f"{path}: ", "", 1))))
    return runs, skipped


def _one_line(error):
    """results.validate's multi-line message on one line, missing fields collapsed into one list."""
    head, _, rest = error.partition("\n")
    problems = [p.strip() for p in rest.splitlines() if p.strip()]
    missing = [p[: -len(": missing")] for p in problems if p.endswith(": missing")]
    others = [p for p in problems if not p.endswith(": missing")]
    parts = others + ([f"missing {', '.join(missing)}"] if missing else [])
    return f"{head} {'; '.join(parts)}" if parts else head


@dataclass
class Line:
    """One line of a comparison: a run against a row, their mean, or a row not run."""
    row: PublishedRow
    run: str
    status: str
    reproduced: dict = field(default_factory=dict)
    epochs: str = ""
    steps: int | None = None
    train_examples: int | None = None
    eval_examples: int | None = None
    gflops_repo: float | None = None
    notes: str = ""

    @property
    def deltas(self):
        return {m: self.reproduced[m] - v for m, v in self.row.metrics.items() if self.reproduced.get(m) is not None}


@dataclass
class Section:
    """The lines of one task of one table (Table 8 has two)."""
    table: int
    task: str
    lines: list

    @property
    def spec(self):
        return tables.get(self.table)

    @property
    def title(self):
        what = tables.DATASET_TITLES[self.spec.datasets[self.task]]
        tol = ", ".join(f"{METRIC_LABELS[m]} +-{TOLERANCES[m]:g}" for m in self.metrics)
        return f"Table {self.table} ({what}; matches within {tol})"

    @property
    def metrics(self):
        return self.spec.metrics_of(self.task)


@dataclass
class Report:
    sections: list
    runs: list  # every valid RunResult
    matched: dict  # run path -> labels of the rows it reproduces
    unmatched: list  # (path, why it matches no published row)
    skipped: list  # (path, why it is not a valid results.json)

    def lines(self):
        return [line for section in self.sections for line in section.lines]


def partial_reasons(run, row):
    """Why a run does not follow the paper's protocol for a row ([] when it does)."""
    reasons = []
    t = run["training"]
    if not run["full_split"]:
        reasons.append(f"evaluated {run['split_size']} examples (subset)")
    if not t["full_train_split"]:
        reasons.append(f"trained on {t['train_examples']} examples (subset)")
    if t["epochs"] < (1 - EPOCH_SLACK) * t["planned_epochs"]:
        reasons.append(f"{t['epochs']:.3g} of {t['planned_epochs']:g} planned epochs")
    if row.batch_size is not None and run["settings"]["batch_size"] != row.batch_size:
        reasons.append(f"batch {run['settings']['batch_size']} (paper {row.batch_size})")
    return reasons


def within_tolerance(row, reproduced):
    # 1e-9 absorbs float noise of values printed to 0.1 or 0.001.
    return all(m in reproduced and abs(reproduced[m] - v) <= TOLERANCES[m] + 1e-9 for m, v in row.metrics.items())


def _run_line(row, run):
    data = run.data
    reproduced = {m: data["metrics"].get(m) for m in _task_metrics(row.task)}
    reasons = partial_reasons(data, row)
    status = "partial" if reasons else ("matches" if within_tolerance(row, reproduced) else "differs")
    t = data["training"]
    notes = "; ".join(reasons + ([row.note] if row.note else []))
    return Line(row, run.path, status, reproduced, epochs=f"{t['epochs']:.3g}/{t['planned_epochs']:g}",
                steps=t["steps"], train_examples=t["train_examples"], eval_examples=data["split_size"],
                gflops_repo=data["gflops"], notes=notes)


def _is_reevaluation(run):
    """An evaluation-only run (Table 6/7's diagonal, Table 8's (1, 16) cells) re-evaluates a model
    another run trained (results.json records what it planned, not its --init_* flags)."""
    training = run.data["training"]
    return settings.evaluation_only({"train_epochs": training["planned_epochs"], "train_steps": training["steps"]})


def _mean_line(row, lines):
    reproduced = {}
    for m in _task_metrics(row.task):
        values = [l.reproduced[m] for l in lines if l.reproduced.get(m) is not None]
        reproduced[m] = sum(values) / len(values) if values else None
    if any(l.status == "partial" for l in lines):
        status = "partial"
    else:
        status = "matches" if within_tolerance(row, reproduced) else "differs"
    gflops = [l.gflops_repo for l in lines]
    return Line(row, f"mean of {len(lines)} runs", status, reproduced, gflops_repo=sum(gflops) / len(gflops))


def model_gflops(row):
    """Forward GFLOPs per image of a row's model as the repo builds it (resizer.models + resizer.flops),
    or None for a row that prints no sizes (Table 9)."""
    try:
        from resizer import flops  # heavy: builds the full backbone
    except ImportError as e:
        raise ImportError(f"counting the repo's FLOPS needs resizer.models and resizer.flops ({e}); "
                          "run without --compute_flops") from e
    return flops.row_gflops(row)


def build_report(results_dir, numbers=None, gflops_of_row=None):
    """Matches every results.json under results_dir to the rows of the tables `numbers` (default all).

    gflops_of_row(PublishedRow) -> GFLOPs or None fills the repo's FLOPS of rows not run
    (e.g. model_gflops; computed once per distinct architecture). Runs bring their own.
    """
    runs, skipped = load_runs(results_dir)
    sections, matched, cache = [], {r.path: [] for r in runs}, {}
    for table in tables.numbers() if numbers is None else numbers:
        by_task = {}
        for row in tables.rows(table):
            hits = [run for run in runs if row.matches(run.data)]
            for run in hits:
                matched[run.path].append(f"{table}:{row.label}")
            if hits:
                lines = [_run_line(row, run) for run in hits]
                # A re-evaluation of a model (an evaluation-only experiment: Table 6/7's diagonal,
                # Table 8's (1, 16) cells) is listed, but is not another sample for the mean.
                trained = [line for line, run in zip(lines, hits) if not _is_reevaluation(run)]
                if len(trained) > 1:
                    lines.append(_mean_line(row, trained))
            else:
                gflops = None
                if gflops_of_row is not None:
                    key = (row.task, tuple((k, v) for k, v in sorted(row.settings.items()) if k != "resizer_trained_with"))
                    if key not in cache:
                        cache[key] = gflops_of_row(row)
                    gflops = cache[key]
                lines = [Line(row, "", "not run", gflops_repo=gflops, notes=row.note)]
            by_task.setdefault(row.task, []).extend(lines)
        sections.extend(Section(table, task, lines) for task, lines in by_task.items())
    unmatched = [(run.path, _why_unmatched(run.data)) for run in runs if not matched[run.path]]
    return Report(sections, runs, matched, unmatched, skipped)


def _why_unmatched(data):
    if data["smoke"]:
        return (f"a --smoke run of {data['experiment']} ({data['training']['steps']} steps on generated data): it "
                "shows that the row runs; its numbers mean nothing")
    if data["table"] is None:
        return f"table is null: a run of our own ({data['experiment']}), not a paper row"
    expected = tables.datasets(data["task"])
    if data["dataset"] not in expected:
        return f"dataset {data['dataset']} is not the paper's {' or '.join(expected)} for {data['task']}"
    values = ", ".join(f"{k}={data['settings'].get(k)}" for k in ROW_SETTINGS)
    return f"no row of the compared tables has these settings ({values})"


# ----------------------------------------------------------------------------- formatting

def _fmt(value, metric, signed=False, published=False):
    """Correlations to 3 decimals; errors as the paper prints them (1 decimal), ours to 2."""
    if value is None:
        return ""
    digits = 3 if metric in ("plcc", "srcc") else (1 if published else 2)
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _columns(section):
    cols = ["row", "run"]
    for m in section.metrics:
        name = METRIC_LABELS[m]
        cols += [f"{name} paper", f"{name} ours", "delta"]
    return cols + ["status", "epochs", "steps", "train imgs", "eval imgs", "GFLOPs paper", "GFLOPs repo", "notes"]


def _cells(section, line):
    cells = [line.row.label, line.run]
    deltas = line.deltas
    for m in section.metrics:
        cells += [_fmt(line.row.metrics.get(m), m, published=True), _fmt(line.reproduced.get(m), m),
                  _fmt(deltas.get(m), m, signed=True)]
    cells += [line.status, line.epochs, "" if line.steps is None else str(line.steps),
              "" if line.train_examples is None else str(line.train_examples),
              "" if line.eval_examples is None else str(line.eval_examples),
              "" if line.row.gflops is None else f"{line.row.gflops:.2f}",
              "" if line.gflops_repo is None else f"{line.gflops_repo:.2f}", line.notes]
    return cells


def _footer(report):
    out = []
    for path, why in report.unmatched:
        out.append(f"unmatched {path}: {why}")
    for path, why in report.skipped:
        out.append(f"skipped {path}: {why}")
    return out


def _summary(report):
    counts = {s: 0 for s in STATUSES}
    for line in report.lines():
        if not line.run.startswith("mean"):
            counts[line.status] += 1
    return (f"{len(report.runs)} run(s) read, {len(report.skipped)} skipped; lines: "
            + ", ".join(f"{n} {s}" for s, n in counts.items()))


def _text_header(section):
    """(group, name) of each of _columns(section): the text table's two header lines, so that a
    metric's paper / ours / delta sit under one label instead of repeating it."""
    header = [("", "row"), ("", "run")]
    for m in section.metrics:
        header += [(METRIC_LABELS[m], "paper"), ("", "ours"), ("", "delta")]
    return header + [("", "status"), ("", "epochs"), ("", "steps"), ("images", "train"), ("", "eval"),
                     ("GFLOPs", "paper"), ("", "repo"), ("", "notes")]


def _units(section):
    """Column indices of _columns(section) that stay side by side: (row, run) first, each metric's
    (paper, ours, delta), then the rest in pairs of a kind; notes last."""
    units, i = [(0, 1)], 2
    for _ in section.metrics:
        units.append((i, i + 1, i + 2))
        i += 3
    status, epochs, steps, train, evaluated, gflops_paper, gflops_repo, notes = range(i, i + 8)
    return units + [(status,), (epochs, steps), (train, evaluated), (gflops_paper, gflops_repo), (notes,)]


def _blocks(units, widths, width):
    """Units grouped into blocks of at most `width` characters, the (row, run) unit repeated in
    each; a unit wider than what is left starts the next block (None: one block)."""
    key, rest = units[0], units[1:]
    if width is None:
        return [[*key, *(i for u in rest for i in u)]]
    key_width = sum(widths[i] + 2 for i in key)
    blocks, current, used = [], [], key_width
    for unit in rest:
        size = sum(widths[i] + 2 for i in unit)
        if current and used + size - 2 > width:
            blocks.append(current)
            current, used = [], key_width
        current += unit
        used += size
    blocks.append(current)
    return [[*key, *block] for block in blocks]


def _aligned(groups, header, rows, width):
    """Aligned lines of one block under its two header lines; a last column that does not fit in
    `width` wraps."""
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    indent = sum(w + 2 for w in widths[:-1])
    room = None if width is None else max(20, width - indent)
    if room is not None and widths[-1] > room:
        widths[-1] = max(room, len(header[-1]))
    out = []
    if any(groups):
        out.append("  ".join(g.ljust(w) for g, w in zip(groups, widths)).rstrip())
    for n, row in enumerate([header] + rows):
        last = textwrap.wrap(row[-1], widths[-1]) if row[-1] and len(row[-1]) > widths[-1] else [row[-1]]
        out.append("  ".join(c.ljust(w) for c, w in zip(row[:-1] + [last[0]], widths)).rstrip())
        out += [" " * indent + more for more in last[1:]]
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def format_text(report, width=None):
    """Aligned plain-text tables, one per section, without the columns that are empty in all of
    its lines. With `width` (a terminal's), a section wider than that is printed as several
    blocks of columns that each fit, the row and run columns repeated, and long notes wrap."""
    out = []
    for section in report.sections:
        groups, names = zip(*_text_header(section))
        rows = [_cells(section, line) for line in section.lines]
        filled = {i for i in range(len(names)) if i == 0 or any(r[i] for r in rows)}
        units, labels = [], {}
        for unit in _units(section):
            kept = tuple(i for i in unit if i in filled)
            if kept:  # a unit's label moves to its first kept column (GFLOPs "repo" without "paper")
                units.append(kept)
                labels[kept[0]] = groups[unit[0]]
        groups = [labels.get(i, "") for i in range(len(names))]
        widths = [max(len(r[i]) for r in [names] + rows) for i in range(len(names))]
        out.append(section.title)
        for n, block in enumerate(_blocks(units, widths, width)):
            if n:
                out.append("")
            out += _aligned([groups[i] for i in block], [names[i] for i in block],
                            [[r[i] for i in block] for r in rows], width)
        out.append("")
    footer = _footer(report)
    if width is not None:
        footer = [wrapped for line in footer for wrapped in textwrap.wrap(line, width, subsequent_indent="  ")]
    return "\n".join(out + [_summary(report)] + footer) + "\n"


def _md_escape(cell):
    return cell.replace("|", "\\|")


def format_markdown(report):
    """GitHub Markdown: a heading and a pipe table per section, then notes."""
    out = []
    for section in report.sections:
        cols = _columns(section)
        out += [f"#### {section.title}", "", "| " + " | ".join(cols) + " |",
                "|" + "|".join("---" for _ in cols) + "|"]
        out += ["| " + " | ".join(_md_escape(c) for c in _cells(section, line)) + " |" for line in section.lines]
        out.append("")
    out.append(_summary(report))
    out += [f"- {_md_escape(line)}" for line in _footer(report)]
    return "\n".join(out) + "\n"


COMPARISON_COLUMNS = ("table", "task", "row", "run", "status", "metric", "published", "reproduced", "delta",
                      "tolerance", "epochs", "steps", "train_examples", "eval_examples", "gflops_paper",
                      "gflops_repo", "notes")


def comparison_records(report, numbers=None):
    """Machine-readable lines: one dict per (line, published metric)."""
    records = []
    for section in report.sections:
        if numbers is not None and section.table not in numbers:
            continue
        for line in section.lines:
            for m, published in line.row.metrics.items():
                reproduced = line.reproduced.get(m)
                records.append({
                    "table": section.table, "task": section.task, "row": line.row.label, "run": line.run,
                    "status": line.status, "metric": m, "published": published, "reproduced": reproduced,
                    "delta": None if reproduced is None else round(reproduced - published, 6),
                    "tolerance": TOLERANCES[m], "epochs": line.epochs, "steps": line.steps,
                    "train_examples": line.train_examples, "eval_examples": line.eval_examples,
                    "gflops_paper": line.row.gflops, "gflops_repo": line.gflops_repo, "notes": line.notes})
    return records


def _flatten(data, prefix=""):
    flat = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def run_records(report):
    """One dict per run with every field of its results.json flattened (settings.backbone, ...)."""
    records = []
    for run in report.runs:
        records.append({"path": run.path, "reproduces": "; ".join(report.matched[run.path]), **_flatten(run.data)})
    return records


def _csv_text(records, columns=None):
    if columns is None:
        columns = []
        for record in records:
            columns += [k for k in record if k not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return buffer.getvalue()


def format_csv(report):
    return _csv_text(comparison_records(report), COMPARISON_COLUMNS)


def write_csvs(report, out_dir):
    """results/runs.csv (one row per run, all settings) and results/table<N>.csv; returns the paths."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    path = os.path.join(out_dir, "runs.csv")
    atomic_write_text(path, _csv_text(run_records(report)) if report.runs else "path\n")
    written.append(path)
    for table in sorted({s.table for s in report.sections}):
        path = os.path.join(out_dir, f"table{table}.csv")
        atomic_write_text(path, _csv_text(comparison_records(report, {table}), COMPARISON_COLUMNS))
        written.append(path)
    return written


FORMATS = {"text": format_text, "md": format_markdown, "csv": format_csv}


def parse_tables(value):
    """'all' or a comma-separated list of table numbers -> tuple of ints (ValueError otherwise)."""
    known = tables.numbers()
    if value == "all":
        return known
    try:
        numbers = tuple(int(v) for v in value.split(","))
    except ValueError:
        numbers = ()
    if not numbers or any(t not in known for t in numbers):
        raise ValueError(f"--table={value!r}: expected 'all' or table numbers among {known}, e.g. 4 or 4,8.")
    return numbers


def define_table_flag(default="all"):
    """--table for the scripts: absl parses it with parse_tables (a bad value is a flag error)."""
    from absl import flags

    class TablesParser(flags.ArgumentParser):
        def parse(self, argument):
            return parse_tables(argument) if isinstance(argument, str) else tuple(argument)

        def flag_type(self):
            return "tables"

    known = ", ".join(map(str, tables.numbers()))
    return flags.DEFINE(TablesParser(), "table", default, f"A paper table ({known}), a comma-separated list, or 'all'.",
                        serializer=flags.ArgumentSerializer())
