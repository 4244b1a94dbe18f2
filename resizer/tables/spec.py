"""What a published table is to the code: a `TableSpec`, and its rows as `PublishedRow`s."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from resizer import paper, results
from resizer.settings import DEFAULT_RESIZER, settings_of

# The settings that can define a row; a row lists the subset the paper prints for it.
ROW_SETTINGS = ("backbone", "resizer", "resizer_input", "output", "filters_n", "res_blocks_r", "distortion",
                "resizer_trained_with")


@dataclass(frozen=True)
class PublishedRow:
    """One published result and the settings a run must record to reproduce it."""
    table: int
    task: str
    dataset: str  # the dataset the paper measured it on
    label: str
    settings: dict  # subset of results.SETTINGS that defines the row
    metrics: dict  # metric name -> published value
    printed: dict  # column -> the string the paper prints (metrics under their names, gflops)
    paper: dict = field(repr=False)  # the parsed row of resizer.paper.load
    gflops: float | None = None
    batch_size: int | None = None
    note: str = ""

    @property
    def backbone(self):
        return self.settings["backbone"]

    def matches(self, run):
        """The row matcher: a results.json-like record {task, dataset, table, settings} reproduces
        this row when task and dataset are the row's, its table is set (not a run of our own)
        and every defining setting agrees."""
        s = run["settings"]
        return (run["task"] == self.task and run["dataset"] == self.dataset and run["table"] is not None
                and all(s.get(k) == v for k, v in self.settings.items()))


def row_settings(description, keys=ROW_SETTINGS):
    """The defining settings of a row described with Config's field names (backbone, resizer,
    resizer_input, output, filters, res_blocks, distortion; resizer_trained_with)."""
    values = dict(description)
    if values.get("resizer") == "learned":
        values = {**DEFAULT_RESIZER, **values}
    full = settings_of(values, resizer_trained_with=values.get("resizer_trained_with"))
    return {k: full[k] for k in keys}


def paper_rows(table):
    """(parsed, printed) pairs of a published table's rows (resizer.paper.load and raw=True)."""
    return list(zip(paper.load(table), paper.load(table, raw=True)))


def printed_numbers(raw, names=None):
    """{column: printed string} of a raw row's numbers (metrics and GFLOPs), renamed by `names`."""
    names = names or {}
    numeric = {m for metrics in results.METRICS.values() for m in metrics} | {"gflops"} | set(names)
    return {names.get(k, k): v for k, v in raw.items() if k in numeric}


@dataclass(frozen=True)
class TableSpec:
    """A published table: what it measures, how its rows map to settings, models and experiments.

    number: the paper's table number.
    datasets: task -> the dataset the paper measures that task's rows on.
    rows: () -> [PublishedRow]: the published rows and the settings that define each.
    experiments: ([PublishedRow]) -> [resizer.experiments.Experiment]: the config factory of
      the family reproducing the rows; each experiment carries its row (`Experiment.row`).
    figure: the figure kind, a key of resizer.plots.FIGURES.
    metrics: task -> the metrics compared (default: all of resizer.results.METRICS[task]).
    prints_flops: the table prints GFLOPs per row: scripts/flops.py regenerates them and the
      table runner's cost estimate reads them (a backbone at an output size).
    shared_files: dataset -> (comment, extra flags) of the dataset's shared flag file, for
      the datasets this table introduces (scripts/make_configs.py).
    """
    number: int
    datasets: dict
    rows: Callable
    experiments: Callable
    figure: str
    metrics: dict = field(default_factory=dict)
    prints_flops: bool = False
    shared_files: dict = field(default_factory=dict)

    @property
    def tasks(self):
        return tuple(self.datasets)

    def metrics_of(self, task):
        return tuple(self.metrics.get(task, results.METRICS[task]))
