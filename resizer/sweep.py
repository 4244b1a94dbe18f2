"""Runs every experiment of a table in dependency order (the engine of scripts/reproduce.py).

A table's experiments come from `resizer.experiments`, with everything they start from
(baselines before the joint runs initialised from them; Table 6/7 re-tuning after the
resizers it starts from). Each experiment is `done` (its results.json is valid and trained
its planned epochs: skipped), `resume` (its model directory exists without a complete
results.json: training resumes from the directory's checkpoint) or `new`.

Estimated cost of a row: FLOPs per image x images seen. Training counts 3 x forward FLOPs
per image seen (forward + backward, the usual rule of thumb: backward ~ 2 x forward),
evaluation 1 x. FLOPs per image come from the paper (the backbone's baseline row at the
row's output size in Table 4/5, plus the learned resizer's convolutions counted from its
shape, which reproduces the paper's resizer overhead) or, with flops="repo" and for
backbones the paper does not print, from resizer.flops on the built model.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import subprocess

from resizer import compare, experiments, flagfile, paper, paths, results

# Nominal split sizes for the estimate (the runs record the real ones in results.json).
# AVA: ~255.5k rated photos, ~20k of them in generic_test.jpgl; the exact counts depend on
# which images of a copy are usable.
NOMINAL_TRAIN_EXAMPLES = {"imagenet2012": 1_281_167, "ava": 235_500, "cifar10": 50_000}
NOMINAL_EVAL_EXAMPLES = {"imagenet2012": 50_000, "ava": 20_000, "cifar10": 10_000}
TRAIN_FLOPS_FACTOR = 3  # forward + backward ~ 3 x forward
FLOPS_SOURCES = ("paper", "repo")
TRAIN_SCRIPT, EVAL_SCRIPT = "scripts/train.py", "scripts/eval.py"


def resizer_gflops(resizer_input, output, n=16, r=1):
    """Forward GFLOPs of the learned resizer's convolutions (2 per multiply-add), as the profiler counts.

    7x7 (3->n) and 1x1 (n->n) at the input size; r blocks of two 3x3, one 3x3 (n->n) and the
    7x7 (n->3) at the output size. 224->224: 1.19, 368->224: 1.64, as the paper's FLOPS differences.
    """
    at_input = resizer_input ** 2 * (49 * 3 * n + n * n)
    at_output = output ** 2 * (r * 2 * 9 * n * n + 9 * n * n + 49 * n * 3)
    return 2 * (at_input + at_output) / 1e9


def _paper_backbone_gflops(backbone, output):
    """The paper's GFLOPs of a backbone alone at `output` (its Table 4 or 5 baseline row), or None."""
    for table in (4, 5):
        for row in paper.load(table):
            if row["model"] == backbone and row["resizer"] != "proposed" and row["output"] == output:
                return row["gflops"]
    return None


def paper_gflops(exp):
    base = _paper_backbone_gflops(exp.backbone, exp.output)
    if base is None:
        return None
    if exp.resizer != "learned":
        return base
    return base + resizer_gflops(exp.resizer_input, exp.output, exp.filters_n, exp.res_blocks_r)


def repo_gflops(exp):
    """GFLOPs of the experiment's model as the repo builds it (builds the model: seconds to a minute)."""
    from resizer import flops, models

    learned = exp.resizer == "learned"
    num_classes = None
    if exp.task == "classification" and os.path.isfile(paths.in_repo(exp.flagfile)):
        num_classes = int(flagfile.read(paths.in_repo(exp.flagfile)).get("num_classes", 1000))
    model = models.build(exp.task, exp.backbone, resizer=exp.resizer,
                         input_size=exp.resizer_input if learned else exp.output, output_size=exp.output,
                         filters=exp.filters_n or 16, num_res_blocks=exp.res_blocks_r or 1, num_classes=num_classes)
    return flops.count_flops(model) / 1e9


def _examples(exp, flag, nominal):
    """(count, exact?) from the flag file's --<flag> when set, else the nominal split size."""
    if os.path.isfile(paths.in_repo(exp.flagfile)):
        value = int(flagfile.read(paths.in_repo(exp.flagfile)).get(flag, 0) or 0)
        if value:
            return value, True
    return nominal.get(exp.dataset), False


@dataclasses.dataclass(frozen=True)
class Cost:
    gflops: float | None  # forward, per image
    source: str  # "paper", "paper+resizer convs" or "repo"
    train_images: float | None  # images seen in training (epochs x train examples)
    eval_images: int | None

    @property
    def flops(self):
        if self.gflops is None or self.train_images is None or self.eval_images is None:
            return None
        return self.gflops * 1e9 * (TRAIN_FLOPS_FACTOR * self.train_images + self.eval_images)


def estimate(exp, flops_source="paper", repo_cache=None):
    """The Cost of one experiment (see the module doc for the rule)."""
    if flops_source not in FLOPS_SOURCES:
        raise ValueError(f"flops source {flops_source!r}: expected one of {FLOPS_SOURCES}")
    gflops, source = None, "repo"
    if flops_source == "paper":
        gflops, source = paper_gflops(exp), "paper" if exp.resizer != "learned" else "paper+resizer convs"
    if gflops is None:  # a backbone or size the paper does not print (demo, CIFAR-10 sizes)
        cache = {} if repo_cache is None else repo_cache
        key = (exp.task, exp.backbone, exp.resizer, exp.resizer_input, exp.output, exp.filters_n, exp.res_blocks_r)
        if key not in cache:
            cache[key] = repo_gflops(exp)
        gflops, source = cache[key], "repo"
    train_examples, _ = _examples(exp, "train_examples", NOMINAL_TRAIN_EXAMPLES)
    eval_examples, _ = _examples(exp, "eval_examples", NOMINAL_EVAL_EXAMPLES)
    train_images = None if train_examples is None else exp.epochs * train_examples
    return Cost(gflops, source, train_images, eval_examples)


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


def model_dir(exp, runs_dir):
    return os.path.join(runs_dir, exp.name)


def state(exp, runs_dir):
    """'done' (complete results.json), 'resume' (a model directory without one) or 'new'."""
    directory = model_dir(exp, runs_dir)
    path = os.path.join(directory, "results.json")
    if os.path.isfile(path):
        try:
            data = results.read(path)
        except ValueError:
            return "resume"
        t = data["training"]
        if data["experiment"] == exp.name and t["epochs"] >= (1 - compare.EPOCH_SLACK) * exp.epochs \
                and t["planned_epochs"] >= exp.epochs:
            return "done"
        return "resume"
    return "resume" if os.path.isdir(directory) and os.listdir(directory) else "new"


def commands(exp, runs_dir="runs", python="python"):
    """Shell commands of one experiment.

    scripts/train.py resumes from the model directory's checkpoint and evaluates at the end
    (writing results.json), so a trained row is one command; evaluation-only rows (epochs 0:
    the Table 6/7 diagonals, Table 8's (1, 16) cells, Section 4.3's no-re-tuning runs) run
    scripts/eval.py, which assembles the model from the runs it starts from.
    """
    extra = "" if runs_dir == "runs" else f" --runs_dir={shlex.quote(runs_dir)}"
    script = EVAL_SCRIPT if exp.evaluation_only else TRAIN_SCRIPT
    return [f"{python} {script} --flagfile={exp.flagfile}{extra}"]


@dataclasses.dataclass(frozen=True)
class Step:
    experiment: object  # experiments.Experiment
    state: str
    commands: tuple
    cost: Cost


def plan(table, backbone=None, runs_dir="runs", flops_source="paper", python="python"):
    cache = {}
    return [Step(exp, state(exp, runs_dir), tuple(commands(exp, runs_dir, python)),
                 estimate(exp, flops_source, cache))
            for exp in select(table, backbone)]


def _si(value, unit=""):
    if value is None:
        return "?"
    for factor, prefix in ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}".strip()


def describe(step):
    """One comment line: the experiment, its state and its estimated cost."""
    c = step.cost
    gflops = "?" if c.gflops is None else f"{c.gflops:.2f}"
    return (f"# {step.experiment.name} [{step.state}]: {gflops} GFLOPs/image ({c.source}) x "
            f"({TRAIN_FLOPS_FACTOR} x {_si(c.train_images)} train + {_si(c.eval_images)} eval images) "
            f"= {_si(c.flops, 'FLOPs')}")


def format_dry_run(steps):
    """A shell script: per experiment a cost comment and its commands (done ones commented out)."""
    lines = []
    for step in steps:
        lines.append(describe(step))
        prefix = "# done: " if step.state == "done" else ""
        lines += [prefix + cmd for cmd in step.commands]
    todo = [s for s in steps if s.state != "done"]
    total = sum(s.cost.flops for s in todo if s.cost.flops is not None)
    images = sum(s.cost.train_images for s in todo if s.cost.train_images is not None)
    unknown = sum(1 for s in todo if s.cost.flops is None)
    lines.append(f"# {len(todo)} of {len(steps)} experiments to run: {_si(images)} training images, "
                 f"~{_si(total, 'FLOPs')}" + (f" ({unknown} without an estimate)" if unknown else ""))
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
