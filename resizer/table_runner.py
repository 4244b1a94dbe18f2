"""The table runner: every experiment of a table in dependency order (the engine of scripts/reproduce.py).

A table's experiments come from `resizer.experiments`, with everything they start from
(baselines before the joint runs initialised from them; Table 6/7 re-tuning after the
resizers it starts from). Each experiment is `done` (its results.json is valid and trained
its planned epochs: skipped), `resume` (its model directory exists without a complete
results.json: training resumes from the directory's checkpoint) or `new`.

The estimated cost of each row (FLOPs, GPU-hours on a reference card, disk) is
resizer.cost's.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import subprocess

from resizer import compare, cost as cost_lib, experiments, files, paths, results

TRAIN_SCRIPT, EVAL_SCRIPT = "scripts/train.py", "scripts/eval.py"


def select(table, backbone=None):
    """A table's experiments (those of one backbone if given) plus their dependencies, in run order."""
    names = experiments.names(table)
    if not names:
        tables = sorted({e.table for e in experiments.EXPERIMENTS.values() if e.table is not None})
        raise ValueError(f"no experiments reproduce table {table!r}; tables with experiments: {tables}")
    if backbone is not None:
        available = sorted({experiments.get(n).backbone for n in names})
        names = [n for n in names if experiments.get(n).backbone == backbone]
        if not names:
            raise ValueError(f"table {table} has no {backbone!r} experiments; backbones: {', '.join(available)}")
    return experiments.in_dependency_order(names)


def _exists(path, kind):
    """os.path for local paths; tf.io.gfile for a runs directory on an object store (gs://)."""
    if files.is_remote(path):
        import tensorflow as tf

        return tf.io.gfile.isdir(path) and bool(tf.io.gfile.listdir(path)) if kind == "dir" else tf.io.gfile.exists(path)
    return bool(os.path.isdir(path) and os.listdir(path)) if kind == "dir" else os.path.isfile(path)


def state(exp, runs_dir):
    """'done' (complete results.json), 'resume' (a model directory without one) or 'new'."""
    directory = exp.model_dir(runs_dir)
    path = f"{directory}/results.json"
    if _exists(path, "file"):
        try:
            data = results.read(path)
        except ValueError:
            return "resume"
        t = data["training"]
        if data["experiment"] == exp.name and t["epochs"] >= (1 - compare.EPOCH_SLACK) * exp.train_epochs \
                and t["planned_epochs"] >= exp.train_epochs:
            return "done"
        return "resume"
    return "resume" if _exists(directory, "dir") else "new"


def commands(exp, runs_dir="runs", python="python", absolute=False):
    """Shell commands of one experiment.

    scripts/train.py resumes from the model directory's checkpoint and evaluates at the end
    (writing results.json), so a trained row is one command; evaluation-only rows (epochs 0:
    the Table 6/7 diagonals, Table 8's (1, 16) cells, Section 4.3's no-re-tuning runs) run
    scripts/eval.py, which assembles the model from the runs it starts from. absolute: the
    script and flag file by their paths in the clone (what `execute` runs from any folder);
    otherwise as a dry run prints them, relative to the clone.
    """
    extra = "" if runs_dir == "runs" else f" --runs_dir={shlex.quote(runs_dir)}"
    script, flagfile = EVAL_SCRIPT if exp.evaluation_only else TRAIN_SCRIPT, exp.flagfile
    if absolute:
        script, flagfile = paths.in_repo(script), paths.in_repo(flagfile)
    return [f"{shlex.quote(python)} {shlex.quote(script)} --flagfile={shlex.quote(flagfile)}{extra}"]


@dataclasses.dataclass(frozen=True)
class Step:
    experiment: object  # experiments.Experiment
    state: str
    commands: tuple
    cost: cost_lib.Cost


def plan(table, backbone=None, runs_dir="runs", flops_source="paper", python="python", disk=False, absolute=False):
    """The table's Steps in run order; disk=True also sizes each row's model directory (builds
    each model once, a second or two each); absolute: see commands."""
    return [Step(exp, state(exp, runs_dir), tuple(commands(exp, runs_dir, python, absolute)),
                 cost_lib.estimate(exp, flops_source, disk=disk))
            for exp in select(table, backbone)]


def _si(value, unit=""):
    if value is None:
        return "?"
    for factor, prefix in ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}".strip()


def _hours(hours):
    return "?" if hours is None else f"{hours:.3g}" if hours >= 0.1 else "<0.1"


def describe(step, card):
    """One comment line: the experiment, its state and its estimated cost."""
    c = step.cost
    gflops = "?" if c.gflops is None else f"{c.gflops:.2f}"
    disk = "" if c.disk_bytes is None else f", {_si(c.disk_bytes, 'B')} disk"
    return (f"# {step.experiment.name} [{step.state}]: {gflops} GFLOPs/image ({c.source}) x "
            f"({cost_lib.TRAIN_FLOPS_FACTOR} x {_si(c.train_images)} train + {_si(c.eval_images)} eval images) "
            f"= {_si(c.flops, 'FLOPs')} ~ {_hours(c.gpu_hours(card))} GPU-hours{disk}")


def format_dry_run(steps, card=None):
    """A shell script: per experiment a cost comment and its commands (done ones commented out),
    then the card the GPU-hours are for and the totals of what is left to run."""
    card = card or cost_lib.card()
    lines = []
    for step in steps:
        lines.append(describe(step, card))
        prefix = "# done: " if step.state == "done" else ""
        lines += [prefix + cmd for cmd in step.commands]
    todo = [s for s in steps if s.state != "done"]
    known = [s.cost for s in todo if s.cost.flops is not None]
    images = sum(s.cost.train_images for s in todo if s.cost.train_images is not None)
    unknown = len(todo) - len(known)
    sized = [s.cost.disk_bytes for s in todo if s.cost.disk_bytes is not None]
    disk = f", {_si(sum(sized), 'B')} of model directories (the dataset aside)" if sized else ""
    lines.append(f"# GPU-hours on {card.label} ({card.reference} trains at {card.images_per_second:g} images/s there: "
                 f"{card.source}), scaled by FLOPs; lower bounds for MobileNet-v2 and learned-resizer rows "
                 "(resizer/cost.py)")
    lines.append(f"# {len(todo)} of {len(steps)} experiments to run: {_si(images)} training images, "
                 f"~{_si(sum(c.flops for c in known), 'FLOPs')}, "
                 f"~{_hours(sum(c.gpu_hours(card) for c in known))} GPU-hours{disk}"
                 + (f" ({unknown} without an estimate)" if unknown else ""))
    return "\n".join(lines) + "\n"


def execute(steps, run=None, log=print):
    """Runs the steps not done, in order; a failed step skips the steps that start from it.

    run(command string) -> exit code (default: the command in a subprocess). Returns the
    names of failed and skipped experiments.
    """
    if run is None:
        def run(command):
            return subprocess.run(shlex.split(command)).returncode
    broken = set()
    for step in steps:
        exp = step.experiment
        if step.state == "done":
            log(f"== {exp.name}: done, skipped")
            continue
        blocked = [d for d in exp.depends_on if d in broken]
        if blocked:
            log(f"== {exp.name}: skipped, it starts from failed {', '.join(blocked)}")
            broken.add(exp.name)
            continue
        log(f"== {exp.name}: {'resuming' if step.state == 'resume' else 'starting'}")
        for command in step.commands:
            log(f"$ {command}")
            code = run(command)
            if code != 0:
                log(f"== {exp.name}: `{command}` exited with {code}")
                broken.add(exp.name)
                break
    return sorted(broken)
