"""Image quality from a user's CSV: rows of an image path and its mean score or its 10 vote counts.

    python scripts/prepare_data.py --dataset=iqa_csv --manual_dir=<scores.csv> --name=<name>
    python scripts/train.py --dataset=iqa_csv --dataset_name=<name> --backbone=... --resizer=...

The CSV has a header row. Columns: the image path (default: the first column; relative to
the CSV's folder, or absolute), then either 10 vote counts for scores 1..10 (AVA-style
histograms) or one mean score (KonIQ-10k's MOS, SPAQ's MOS), and a split column (default
`split`; values such as train, validation, test). Instead of the column, `split_lists`
names one file of image paths per split (`train=train.txt,test=test.txt`, relative to the
CSV). Rows without a split are left out and counted.

What is trained and evaluated (the project's IQA head is a 10-bin softmax trained with EMD,
resizer.losses; PLCC/SRCC compare the predicted and the target distributions' means,
resizer.metrics):
  counts: the target is the normalised vote histogram, as for AVA.
  mean:   the score is mapped linearly from `score_range` (default: the lowest and highest
          score in the CSV) onto 1..10, and the target is the two-bin histogram with exactly
          that mean: weight 1 - f on bin floor(t) and f on the next, t = floor(t) + f. EMD
          against it trains the predicted mean towards the score; PLCC and SRCC of the
          predicted mean are then those against the CSV's own scores (both are unchanged by
          the linear map). The target's spread is not data (the CSV has none), so the
          predicted spread means nothing for such a dataset; only its mean is evaluated.
          (A Gaussian-smoothed histogram would claim some spread as well, and its mean
          drifts from the score near 1 and 10 where it is cut off; the two-bin one is the
          narrowest histogram that keeps the mean exact.)

The CSV is read and checked (header, numbers, duplicates, splits) before anything is
written; a malformed row is a ValueError naming its line. Image files that are missing,
unreadable, empty or undecodable are skipped and counted (resizer.data.image_files).
Stored at `<data_dir>/resizer_iqa_csv/<name>/1.0.0/`.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import glob
import math
import os

import numpy as np
import tensorflow_datasets as tfds
from absl import logging

from resizer.data import image_files, user_data
from resizer.datasets.ava.parsing import NUM_SCORES
from resizer.data.registry import DatasetInfo

NAME = "iqa_csv"
SPLIT_COLUMN = "split"
LAYOUTS = {NUM_SCORES: "counts", 1: "mean"}
NOT_IN_CSV = "not_in_csv"  # a split list names a path that the CSV does not rate


@dataclasses.dataclass(frozen=True)
class Row:
    path: str  # as the CSV writes it
    distribution: np.ndarray  # float32 (10,), sums to 1
    score: float  # the CSV's mean score, or the votes' mean on 1..10

    @property
    def mean_score(self):
        """The target's mean on the 1..10 scale: what PLCC and SRCC compare with."""
        return float(np.dot(self.distribution.astype(np.float64), np.arange(1, NUM_SCORES + 1)))


@dataclasses.dataclass(frozen=True)
class Table:
    """A checked CSV: rows per split, and what preparing will record about it."""

    csv: str
    layout: str
    columns: tuple  # image column, score column(s)
    score_range: tuple | None  # mean layout: the scores mapped to 1 and 10
    rows: dict  # {split: [Row]}
    unassigned: int  # rows without a split
    not_in_csv: dict  # {split: [paths]} listed for a split but not rated

    @property
    def root(self):
        return os.path.dirname(self.csv)


def two_bin_histogram(t):
    """The 10-bin histogram with mean exactly t (1 <= t <= 10) on two neighbouring bins."""
    if not 1.0 <= t <= NUM_SCORES:
        raise ValueError(f"score {t} is outside 1..{NUM_SCORES}")
    low = min(int(math.floor(t)), NUM_SCORES - 1)
    upper = t - low
    histogram = np.zeros(NUM_SCORES, np.float64)
    histogram[low - 1], histogram[low] = 1.0 - upper, upper
    return histogram.astype(np.float32)


def find_csv(manual):
    """The CSV file: `manual` itself, or the only *.csv in the folder `manual`."""
    manual = os.path.abspath(os.path.expanduser(manual))
    if os.path.isfile(manual):
        return manual
    found = sorted(glob.glob(os.path.join(manual, "*.csv")))
    if len(found) != 1:
        raise ValueError(f"{NAME}: --manual_dir={manual} must be a CSV file or a folder with exactly one .csv "
                         f"(found {len(found)})")
    return found[0]


def _number(text, where, column):
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: column {column!r} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: column {column!r} is not finite: {text!r}")
    return value


def _columns(header, path, image_column, score_columns, split_column):
    image_column = image_column or header[0]
    chosen = list(score_columns) or [c for c in header if c not in (image_column, split_column)]
    missing = [c for c in [image_column, *chosen] if c not in header]
    if missing:
        raise ValueError(f"{path}: no column {missing[0]!r}; the header has {', '.join(header)}")
    if len(chosen) not in LAYOUTS:
        raise ValueError(f"{path}: {len(chosen)} score columns ({', '.join(chosen)}); expected 1 (a mean score) or "
                         f"{NUM_SCORES} (vote counts for 1..{NUM_SCORES}): name them with --score_columns")
    return image_column, chosen


def _read_lists(root, split_lists):
    """{path: split} from {split: list file}; ValueError for a path in two lists."""
    assigned = {}
    for split, list_file in split_lists.items():
        list_path = os.path.join(root, list_file)
        if not os.path.isfile(list_path):
            raise ValueError(f"{NAME}: the {split} list {list_path} is missing")
        with open(list_path) as f:
            for number, line in enumerate(f, 1):
                path = line.strip()
                if path and assigned.setdefault(path, split) != split:
                    raise ValueError(f"{list_path}, line {number}: {path} is already in the {assigned[path]} list")
    return assigned


def read_table(manual, *, image_column="", score_columns=(), split_column=SPLIT_COLUMN, split_lists=None,
               score_range=None):
    """The checked Table of a CSV (see the module docstring); ValueError naming the problem."""
    path = find_csv(manual)
    with open(path, newline="") as f:
        lines = list(csv.reader(f))
    header = [c.strip() for c in lines[0]] if lines else []
    if not header or any(c.lower().endswith(image_files.IMAGE_EXTENSIONS) for c in header):
        raise ValueError(f"{path}: the first row must be a header naming the columns (image path, scores, split)")
    image_column, chosen = _columns(header, path, image_column, score_columns, split_column)
    if not split_lists and split_column not in header:
        raise ValueError(f"{path}: no {split_column!r} column and no --split_lists: say which rows are train and test")
    index = {c: header.index(c) for c in header}
    parsed, seen = [], {}
    for number, fields in enumerate(lines[1:], 2):
        if not any(field.strip() for field in fields):
            continue
        where = f"{path}, line {number}"
        if len(fields) != len(header):
            raise ValueError(f"{where}: {len(fields)} fields, the header has {len(header)}")
        image = fields[index[image_column]].strip()
        if not image:
            raise ValueError(f"{where}: no image path")
        if image in seen:
            raise ValueError(f"{where}: {image} repeats line {seen[image]}")
        seen[image] = number
        values = [_number(fields[index[c]], where, c) for c in chosen]
        split = "" if split_lists else fields[index[split_column]].strip()
        parsed.append((where, image, values, split))
    if not parsed:
        raise ValueError(f"{path} has no rows")
    layout = LAYOUTS[len(chosen)]
    if split_lists:
        assigned = _read_lists(os.path.dirname(path), split_lists)
        parsed = [(where, image, values, assigned.get(image, "")) for where, image, values, _ in parsed]
        not_in_csv = {split: [p for p, s in assigned.items() if s == split and p not in seen] for split in split_lists}
    else:
        not_in_csv = {}
    score_range = _score_range(path, layout, [values[0] for *_, values, _ in parsed], score_range)
    rows = collections.defaultdict(list)
    for where, image, values, split in parsed:
        if split:
            rows[split].append(Row(image, _target(where, layout, values, score_range), _score(layout, values)))
    unassigned = sum(1 for *_, split in parsed if not split)
    user_data.train_and_eval_splits(f"{NAME} {path}", sorted(rows))
    return Table(csv=path, layout=layout, columns=(image_column, *chosen), score_range=score_range,
                 rows=dict(rows), unassigned=unassigned, not_in_csv=not_in_csv)


def _score_range(path, layout, scores, given):
    if layout == "counts":
        return None
    low, high = (float(v) for v in given) if given else (min(scores), max(scores))
    if not low < high:
        raise ValueError(f"{path}: the score range must have low < high, got {low}..{high}"
                         + ("" if given else " (all scores are equal); set --score_range"))
    return (low, high)


def _target(where, layout, values, score_range):
    if layout == "counts":
        counts = np.asarray(values, np.float64)
        if counts.min() < 0 or counts.sum() <= 0:
            raise ValueError(f"{where}: vote counts must be >= 0 and not all zero, got {values}")
        return (counts / counts.sum()).astype(np.float32)
    low, high = score_range
    if not low <= values[0] <= high:
        raise ValueError(f"{where}: score {values[0]} is outside --score_range {low}..{high}")
    return two_bin_histogram(1.0 + (NUM_SCORES - 1) * (values[0] - low) / (high - low))


def _score(layout, values):
    if layout == "mean":
        return values[0]
    return float(np.dot(np.asarray(values) / np.sum(values), np.arange(1, NUM_SCORES + 1)))


class ResizerIqaCsv(user_data.AnyConfigName, tfds.core.GeneratorBasedBuilder):
    """A user's IQA CSV, one builder config per prepared name (`plan`: its Table, when preparing)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First version: mean-score or 10-vote CSVs, splits from a column or lists."}

    def __init__(self, *, plan=None, **kwargs):
        self._plan = plan
        super().__init__(**kwargs)

    def _info(self):
        return self.dataset_info_from_configs(
            description="A user's image quality CSV, prepared by resizer.datasets.iqa_csv.",
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(None, None, 3), encoding_format="jpeg"),
                "distribution": tfds.features.Tensor(shape=(NUM_SCORES,), dtype=np.float32),
                "mean_score": tfds.features.Scalar(dtype=np.float32),
                "score": tfds.features.Scalar(dtype=np.float32),
                "file": tfds.features.Text(),
            }),
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # the Table has the rows
        plan = self._plan
        self.info.metadata.update(csv=plan.csv, layout=plan.layout, columns=list(plan.columns),
                                  score_range=list(plan.score_range) if plan.score_range else None,
                                  rows_without_split=plan.unassigned, **{image_files.SKIPPED: {}})
        return {split: self._generate_examples(split) for split in plan.rows}

    def _generate_examples(self, split):
        skipped = collections.defaultdict(list)
        if self._plan.not_in_csv.get(split):
            skipped[NOT_IN_CSV] = list(self._plan.not_in_csv[split])
        for row in self._plan.rows[split]:
            problem, data = image_files.load_image(os.path.join(self._plan.root, row.path))
            if problem:
                skipped[problem].append(row.path)
                continue
            yield row.path, {"image": data, "distribution": row.distribution, "mean_score": np.float32(row.mean_score),
                             "score": np.float32(row.score), "file": row.path}
        self.info.metadata[image_files.SKIPPED][split] = dict(skipped)
        logging.warning("%s %s: skipped files: %s.", NAME, split, image_files.summary(skipped))


def _make_builder(name, data_dir, plan=None):
    return ResizerIqaCsv(config=name, data_dir=data_dir, plan=plan)


def _info(dataset_id, builder):
    splits = tuple(sorted(builder.info.splits))
    train, evaluation, selection = user_data.train_and_eval_splits(dataset_id, splits)
    # As AVA (Section 4.2): its crops and its bicubic pre-resize.
    return DatasetInfo(
        name=dataset_id, task="iqa", num_classes=NUM_SCORES, interpolation="bicubic", splits=splits,
        train_split=train, eval_split=evaluation, selection_split=selection,
        train_crop="inception", eval_crop="central", eval_fraction=0.875)


def _to_example(example):
    return {key: example[key] for key in ("image", "distribution", "mean_score")}


def _describe(builder):
    meta = builder.info.metadata
    if meta.get("layout") == "mean":
        low, high = meta["score_range"]
        target = f"one mean score ({meta['columns'][1]}), {low:g}..{high:g} mapped onto 1..10 (two-bin targets)"
    else:
        target = f"{NUM_SCORES} vote counts ({', '.join(meta.get('columns', [])[1:])})"
    return [f"  {meta.get('csv')}: {target}; rows without a split: {meta.get('rows_without_split', 0)}"]


KIND = user_data.Kind(name=NAME, make_builder=_make_builder, check_prepare=read_table, make_info=_info,
                      to_example=_to_example, usage="--manual_dir=<the CSV, or its folder>", describe=_describe)
named = KIND.named
info = KIND.info
