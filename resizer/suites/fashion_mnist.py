"""The real-data suite: the paper's questions asked on Fashion-MNIST's real photographs.

    python scripts/reproduce.py --suite fashion_mnist              # the measured suite (~35 min, 2 cores)
    python scripts/reproduce.py --suite fashion_mnist --size tiny  # every stage, seconds (tests)

Rows (`ROWS`), each the same `tiny_cnn` backbone trained jointly from scratch behind every
resizer, on the same schedule:
  * down_28_to_14, down_28_to_7: the 28-pixel image resized in the model to the backbone's
    14 (7) pixels by a fixed resizer (bilinear, bicubic, bilinear with antialiasing, area) or
    by the learned resizer (n = 16, r = 1), equal output size;
  * up_7_to_28: Table 9's up-scaling case, the image down-scaled 4x to 7 pixels (bicubic,
    antialiased: resizer.data.distortions) and resized back to 28 by bilinear or learned;
  * noise_0.1_at_28: Table 9's Gaussian noise (sigma 0.1) at equal size 28 -> 28, the fixed
    side being the identity (bilinear to the same size) against the learned resizer.

Data: trained on the first `Size.train_examples` of `train_minus_minival` (Fashion-MNIST's
train split less its last 10%, `minival`), evaluated on the real `test` split (10,000). No
model selection is made: every setting below is fixed before the runs, none is chosen on
test; `minival` (held out of training) is evaluated too and recorded, the split any
selection would have to use.

Every run goes through `resizer.training.loop.train` (the project's training loop, its
results.json included); the suite adds the CPU seconds of each run (`time.process_time`
of this process, all threads), the minival error, and the summary. Results go to
`results/fashion_mnist/runs/<row>/<resizer>/seed<k>.json` (one per run, written when the run
ends, so an interrupted suite keeps what finished and a rerun with the same settings and data
skips it), `summary.json` and `table.md` beside them; model directories (checkpoints) to
`runs/suites/fashion_mnist/`. The measured suite's per-run records were lost (never
committed; docs/real-data.md): its summary.json holds every run's errors and CPU seconds.
Other sizes use `fashion_mnist_<size>` instead, so a tiny run never touches the measured one.
An arm evaluated on part of its test or minival split (a size's eval_examples or
minival_examples, or unreadable images dropped) is marked `*` in the table.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
import platform
import statistics
import time

from resizer.files import atomic_write_text
from resizer.training import report

DATASET = "fashion_mnist"
BACKBONE = "tiny_cnn"
FIXED_DOWN = ("bilinear", "bicubic", "bilinear_aa", "area")
LEARNED = "learned"
METRIC = "top1_error_pct"


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    question: str
    arms: dict  # resizer label -> Config overrides

    @property
    def fixed(self):
        return tuple(label for label in self.arms if label != LEARNED)


def _down(output):
    arms = {name: {"resizer": name, "resizer_input": 28, "output": output} for name in FIXED_DOWN}
    arms[LEARNED] = {"resizer": LEARNED, "resizer_input": 28, "output": output}
    return arms


ROWS = (
    Row("down_28_to_14", "down-scaling 28 -> 14 px, equal output size", _down(14)),
    Row("down_28_to_7", "down-scaling 28 -> 7 px, equal output size", _down(7)),
    Row("up_7_to_28", "Table 9 up-scaling: 28 px down-scaled 4x to 7 px, resized back to 28 px",
        {"bilinear": {"resizer": "bilinear", "output": 28, "distortion": "downscale4x"},
         LEARNED: {"resizer": LEARNED, "resizer_input": 7, "output": 28, "distortion": "downscale4x"}}),
    Row("noise_0.1_at_28", "Table 9 Gaussian noise sigma 0.1 at equal size 28 -> 28 px",
        {"identity": {"resizer": "bilinear", "output": 28, "distortion": "gaussian_noise_0.1"},
         LEARNED: {"resizer": LEARNED, "resizer_input": 28, "output": 28, "distortion": "gaussian_noise_0.1"}}),
)
ROW_NAMES = tuple(row.name for row in ROWS)


@dataclasses.dataclass(frozen=True)
class Size:
    """How much of the data one run sees. lr_decay_epochs scales the paper's staircase (x0.94)
    to the short schedule: 0.94 per quarter epoch, x0.48 over 3 epochs."""

    train_examples: int
    epochs: float
    batch_size: int
    eval_examples: int  # 0: the whole test split
    minival_examples: int  # 0: the whole minival split
    seeds: tuple
    lr_decay_epochs: float


SIZES = {
    "full": Size(train_examples=20_000, epochs=3, batch_size=64, eval_examples=0, minival_examples=0,
                 seeds=(0, 1, 2), lr_decay_epochs=0.25),
    "tiny": Size(train_examples=32, epochs=1, batch_size=16, eval_examples=24, minival_examples=8,
                 seeds=(0, 1), lr_decay_epochs=0.5),
}

# Settings shared by every run (the rest are resizer.config defaults, recorded per run).
COMMON = dict(
    task="classification", dataset=DATASET, num_classes=10, train_split="train_minus_minival", eval_split="test",
    interpolation="bilinear", backbone=BACKBONE, backbone_weights="none", filters=16, res_blocks=1,
    learning_rate=0.05, momentum=0.9, lr_decay_rate=0.94, label_smoothing=0.1, weight_decay=4e-5,
    strategy="one_device", checkpoint_every_steps=10**9, keep_checkpoints=1, log_every_steps=10**9,
)


def run_config(row, label, seed, size, *, data_dir="", runs_dir):
    from resizer import config

    name = f"suites/{DATASET}/{row.name}/{label}/seed{seed}"
    return config.make({**COMMON, **row.arms[label], "experiment": name, "seed": seed, "data_dir": data_dir or "",
                        "runs_dir": runs_dir, "model_dir": os.path.join(runs_dir, row.name, label, f"seed{seed}"),
                        "train_examples": size.train_examples, "train_epochs": float(size.epochs),
                        "batch_size": size.batch_size, "eval_examples": size.eval_examples,
                        "lr_decay_epochs": size.lr_decay_epochs})


def record_path(out_dir, row, label, seed):
    return os.path.join(out_dir, "runs", row, label, f"seed{seed}.json")


def _minival_error(cfg, size, log):
    """Top-1 error % of the trained model on minival (held out of training, never used for test)."""
    import tensorflow as tf

    from resizer.training import evaluation, replicas
    from resizer.training.model import Run, build_model

    cfg = dataclasses.replace(cfg, eval_split="minival", eval_examples=size.minival_examples)
    strategy, worker_id, chief = replicas.setup(cfg)
    with strategy.scope():
        model = build_model(cfg)
    tf.train.Checkpoint(model=model).read(tf.train.latest_checkpoint(cfg.model_dir)).expect_partial()
    values, examples, expected = evaluation.evaluate(Run(cfg, strategy, model, cfg.model_dir, chief, worker_id),
                                                     log=log)
    return values["top1_error"], examples, expected  # already a percentage


def _warnings_only(log):
    """The training loop's log reduced to its warnings: the suite prints one line per run."""
    return lambda text: log(text) if text.startswith("warning:") else None


def train_one(cfg, size, log, data):
    """One run through the project's training loop: its record (results.json plus CPU seconds).
    data: the prepared data's identity (data_identity), kept so that a rerun on other data trains again."""
    import shutil

    import tensorflow as tf

    from resizer.training import loop

    if tf.io.gfile.isdir(cfg.model_dir) and tf.train.latest_checkpoint(cfg.model_dir):
        # A model without its record (an interrupted suite, a deleted record): resuming it would
        # time only what is left, so it is trained again, whole.
        log(f"{cfg.model_dir} holds a checkpoint but no record of this run: training it again from the start "
            "so that its CPU seconds are a whole run's")
        shutil.rmtree(cfg.model_dir)
    cpu, wall = time.process_time(), time.time()
    results = loop.train(cfg, log=_warnings_only(log))
    train_cpu, train_wall = time.process_time() - cpu, time.time() - wall
    minival, minival_examples, minival_expected = _minival_error(cfg, size, _warnings_only(log))
    return {"experiment": cfg.experiment, "config": dataclasses.asdict(cfg), "results": results,
            "test_error_pct": results["metrics"][METRIC], "minival_error_pct": minival,
            "minival_examples": minival_examples, "minival_expected": minival_expected,
            "minival_examples_setting": size.minival_examples, "data": data,
            "minival_full_split": size.minival_examples == 0 and minival_examples == minival_expected,
            "gflops": results["gflops"],
            "cpu_seconds": round(train_cpu, 1), "wall_seconds": round(train_wall, 1),
            "cpu_seconds_with_minival": round(time.process_time() - cpu, 1)}


# What a record must agree on to be reused: what defines the run, and what it is trained and
# evaluated for (fields added to Config later must not make every record stale), the minival
# size and the data (train_one's record).
_RECORD_KEYS = report.RUN_DEFINING + ("train_steps", "train_epochs", "eval_split", "eval_examples",
                                      "eval_preprocessing")


def data_identity(data_provenance):
    """What names the prepared data in a record: the sha256 of its IDX content, as verified when it
    was prepared (None for a folder `tfds build` made), and its split sizes."""
    return {"idx_sha256": data_provenance["content"].get("idx_sha256"),
            "prepared_splits": data_provenance["prepared_splits"]}


def _same_settings(record, cfg, size, data):
    saved = record.get("config") or {}
    return (all(saved.get(k) == getattr(cfg, k) for k in _RECORD_KEYS)
            and record.get("minival_examples_setting") == size.minival_examples and record.get("data") == data)


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def mean_sd(values):
    """(mean, sample standard deviation; 0 for a single value)."""
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summarise(records, rows, planned_seeds):
    """Per row: each resizer's error mean/sd over seeds, the learned minus the best fixed mean
    (with its standard error), MFLOPs, CPU seconds per run, and whether every run evaluated the
    whole test and minival splits. Rows with no finished arm are left out."""
    summary = []
    for row in rows:
        arms = {}
        for label in row.arms:
            runs = [r for r in records if r["row"] == row.name and r["resizer"] == label]
            if not runs:
                continue
            test = [r["test_error_pct"] for r in runs]
            mean, sd = mean_sd(test)
            arms[label] = {"seeds": [r["seed"] for r in runs], "test_error_pct": test, "mean": mean, "sd": sd,
                           "minival_mean": mean_sd([r["minival_error_pct"] for r in runs])[0],
                           "mflops": runs[0]["gflops"] * 1e3,
                           "cpu_seconds_per_run": mean_sd([r["cpu_seconds"] for r in runs])[0],
                           "full_split": all(r["results"]["full_split"] and r["minival_full_split"] for r in runs)}
        if not arms:
            continue
        entry = {"row": row.name, "question": row.question, "arms": arms,
                 "complete": all(label in arms and len(arms[label]["seeds"]) == planned_seeds for label in row.arms)}
        fixed = {label: arms[label] for label in row.fixed if label in arms}
        if LEARNED in arms and fixed:
            best = min(fixed, key=lambda label: fixed[label]["mean"])
            learned, other = arms[LEARNED], fixed[best]
            entry["best_fixed"] = best
            entry["learned_minus_best_fixed"] = learned["mean"] - other["mean"]
            entry["difference_se"] = math.sqrt(learned["sd"] ** 2 / len(learned["seeds"])
                                               + other["sd"] ** 2 / len(other["seeds"]))
        summary.append(entry)
    return summary


def _cell(arm):
    return f"{arm['mean']:.2f} ± {arm['sd']:.2f}{'' if arm['full_split'] else '*'}" if arm else "-"


def format_table(summary):
    """Markdown: one line per row (errors mean ± sd over seeds), then one line per model."""
    fixed_columns = FIXED_DOWN
    lines = ["| row | " + " | ".join(fixed_columns) + " | learned | learned - best fixed | seeds |",
             "|---|" + "---|" * (len(fixed_columns) + 3)]
    for entry in summary:
        arms = entry["arms"]
        cells = []
        for column in fixed_columns:
            label = "identity" if column == "bilinear" and "identity" in arms else column
            cells.append(_cell(arms.get(label)) + (" (identity)" if label == "identity" else ""))
        difference = ("-" if "learned_minus_best_fixed" not in entry else
                      f"{entry['learned_minus_best_fixed']:+.2f} ± {entry['difference_se']:.2f} (vs {entry['best_fixed']})")
        seeds = max(len(a["seeds"]) for a in arms.values())
        lines.append(f"| {entry['row']}{'' if entry['complete'] else ' (partial)'} | " + " | ".join(cells) +
                     f" | {_cell(arms.get(LEARNED))} | {difference} | {seeds} |")
    if any(not arm["full_split"] for entry in summary for arm in entry["arms"].values()):
        lines += ["", "\\* evaluated on part of the test or minival split (a size's eval_examples or minival_examples, "
                      "or unreadable images dropped)."]
    lines += ["", "| row | resizer | test error % per seed | minival error % (mean) | MFLOPs/image | CPU s/run |",
              "|---|---|---|---|---|---|"]
    for entry in summary:
        for label, arm in entry["arms"].items():
            per_seed = ", ".join(f"{e:.2f}" for e in arm["test_error_pct"])
            lines.append(f"| {entry['row']} | {label} | {per_seed} | {arm['minival_mean']:.2f} | {arm['mflops']:.3f} | "
                         f"{arm['cpu_seconds_per_run']:.0f} |")
    return "\n".join(lines) + "\n"


def hardware():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpu": model or platform.processor(), "cores_available": cores, "machine": platform.machine(),
            "system": platform.platform(), "load_average_at_start": list(os.getloadavg())}


def provenance(size_name, size, data_dir):
    import tensorflow as tf
    import tensorflow_datasets as tfds

    from resizer.datasets import fashion_mnist

    return {"suite": DATASET, "size": size_name, "size_settings": dataclasses.asdict(size),
            "data": {**fashion_mnist.provenance(data_dir or None),
                     "train_split": COMMON["train_split"], "eval_split": COMMON["eval_split"],
                     "selection_split": "minival"},
            "common_settings": COMMON, "rows": {row.name: {"question": row.question, "arms": row.arms} for row in ROWS},
            "seeds": list(size.seeds), "code_version": report.code_version(), "hardware": hardware(),
            "versions": {"tensorflow": tf.__version__, "tensorflow_datasets": tfds.__version__,
                         "python": platform.python_version()},
            "cpu_seconds": "time.process_time() of the suite process around resizer.training.loop.train (all "
                           "threads, excluding the minival evaluation)"}


def directory_name(size):
    """results/<this>/ and runs/suites/<this>/: the measured suite's, or a smaller size's own (never mixed)."""
    return DATASET if size == "full" else f"{DATASET}_{size}"


def run(size="full", *, data_dir="", results_dir="results", runs_dir="runs", rows=None, log=print):
    """Runs (or resumes) the suite; writes the run records, summary.json and table.md under
    <results_dir>/<directory_name(size)>/; returns the table text."""
    if size not in SIZES:
        raise ValueError(f"Unknown suite size {size!r}; expected one of {', '.join(SIZES)}.")
    out_dir = os.path.join(results_dir, directory_name(size))
    runs_dir = os.path.join(runs_dir, "suites", directory_name(size))
    chosen = [row for row in ROWS if rows is None or row.name in rows]
    unknown = sorted(set(rows or ()) - set(ROW_NAMES))
    if unknown:
        raise ValueError(f"Unknown row(s) {unknown}; expected some of {', '.join(ROW_NAMES)}.")
    spec = SIZES[size]
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    meta = provenance(size, spec, data_dir)  # also stops early, with the fix, if the data is not prepared
    suite_cpu, suite_wall = time.process_time(), time.time()
    data = data_identity(meta["data"])
    records, total = [], sum(len(row.arms) for row in chosen) * len(spec.seeds)
    for seed in spec.seeds:  # seed-major: an interrupted suite has whole seeds of every row
        for row in chosen:
            for label in row.arms:
                cfg = run_config(row, label, seed, spec, data_dir=data_dir, runs_dir=runs_dir)
                path = record_path(out_dir, row.name, label, seed)
                record = _load(path)
                reused = record is not None and _same_settings(record, cfg, spec, data)
                if not reused:
                    record = {"row": row.name, "resizer": label, "seed": seed, **train_one(cfg, spec, log, data)}
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    atomic_write_text(path, json.dumps(record, indent=1, sort_keys=True) + "\n")
                records.append(record)
                log(f"[{len(records)}/{total}] {row.name} {label} seed {seed}: test error {record['test_error_pct']:.2f}%"
                    f", minival {record['minival_error_pct']:.2f}%, {record['cpu_seconds']:.0f} CPU s"
                    + (" (done before)" if reused else ""))
    summary = summarise(records, chosen, len(spec.seeds))
    table = format_table(summary)
    meta.update(started=started, finished=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                cpu_seconds_this_invocation=round(time.process_time() - suite_cpu, 1),
                wall_seconds_this_invocation=round(time.time() - suite_wall, 1),
                load_average_at_end=list(os.getloadavg()), runs=len(records), summary=summary)
    os.makedirs(out_dir, exist_ok=True)
    atomic_write_text(os.path.join(out_dir, "summary.json"), json.dumps(meta, indent=1, sort_keys=True) + "\n")
    atomic_write_text(os.path.join(out_dir, "table.md"), table)
    return table
