"""`make demo`: a bilinear baseline and a learned-resizer model of the same small classifier,
trained and evaluated on generated data, side by side.

The task (resizer/datasets/synthetic.py): 64 px images whose class is a fine texture; the
baseline sees them shrunk to 16 px by the pipeline's bilinear resize, the other model
shrinks 64 -> 16 with a learned resizer trained jointly. Both runs use the very scripts and
flag files of the paper's experiments (configs/demo/*.flags):

    python scripts/train.py --flagfile=configs/demo/<model>.flags --seed=S --model_dir=... --noeval_at_end
    python scripts/eval.py  --flagfile=configs/demo/<model>.flags --seed=S --model_dir=...

    python scripts/demo.py                 # seed 0, about 4 minutes on 2 CPU cores
    python scripts/demo.py --seeds=0,1,2   # several seeds, then their mean
"""

import _bootstrap  # noqa: F401

import os
import statistics
import subprocess
import sys
import time

from absl import app, flags

from resizer import results as results_lib

flags.DEFINE_list("seeds", ["0"], "Seeds to run (weight init, data order; the generated data are fixed).")
flags.DEFINE_string("runs_dir", "runs", "Model directories go to <runs_dir>/demo/seed<S>/<model>.")
flags.DEFINE_integer("train_steps", 0, "Override the flag files' schedule (0: as configured; for quick checks).")
flags.DEFINE_integer("eval_examples", 0, "Evaluate only the first N test examples (0: all 2048).")
FLAGS = flags.FLAGS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = (("bilinear", "demo/bilinear_16"), ("learned", "demo/learned_64"))
ROWS = (("top-1 error (%)", lambda r: f"{r['metrics']['top1_error_pct']:.2f}"),
        ("test loss", lambda r: f"{r['metrics']['loss']:.3f}"),
        ("model input (px)", lambda r: str(r["settings"]["resizer_input"] or r["settings"]["output"])),
        ("backbone input (px)", lambda r: str(r["settings"]["output"])),
        ("GFLOPs / image", lambda r: f"{r['gflops']:.4f}"),
        ("parameters", lambda r: str(r["params"]["total"])),
        ("steps (epochs)", lambda r: f"{r['training']['steps']} ({r['training']['epochs']:g})"),
        ("test examples", lambda r: str(r["split_size"])))


def _run(script, experiment, seed, model_dir, extra):
    command = [sys.executable, os.path.join(ROOT, "scripts", script), f"--flagfile=configs/{experiment}.flags",
               f"--seed={seed}", f"--model_dir={model_dir}", *extra]
    print("$ " + " ".join(command[1:]), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def run_seed(seed):
    """Trains and evaluates both models with one seed; returns {label: (results, seconds)}."""
    out = {}
    for label, experiment in MODELS:
        # --runs_dir is relative to the caller's folder; the scripts themselves run in the clone.
        model_dir = os.path.abspath(os.path.join(FLAGS.runs_dir, "demo", f"seed{seed}", experiment.split("/")[1]))
        began = time.time()
        steps = [f"--train_steps={FLAGS.train_steps}"] if FLAGS.train_steps else []
        evals = [f"--eval_examples={FLAGS.eval_examples}"] if FLAGS.eval_examples else []
        _run("train.py", experiment, seed, model_dir, steps + ["--noeval_at_end"])
        _run("eval.py", experiment, seed, model_dir, steps + evals)
        out[label] = (results_lib.read(os.path.join(model_dir, "results.json")), time.time() - began)
    return out


def side_by_side(seed, runs):
    width = 22
    lines = [f"seed {seed}".ljust(width) + "".join(label.rjust(14) for label, _ in MODELS)]
    for name, cell in ROWS:
        lines.append(name.ljust(width) + "".join(cell(runs[label][0]).rjust(14) for label, _ in MODELS))
    lines.append("wall time (s)".ljust(width) + "".join(f"{runs[label][1]:.0f}".rjust(14) for label, _ in MODELS))
    return "\n".join(lines)


def main(argv):
    del argv
    seeds = [int(s) for s in FLAGS.seeds]
    began = time.time()
    errors = {label: [] for label, _ in MODELS}
    for seed in seeds:
        runs = run_seed(seed)
        print()
        print(side_by_side(seed, runs))
        print(f"results.json: {FLAGS.runs_dir}/demo/seed{seed}/<model>/results.json\n", flush=True)
        for label, _ in MODELS:
            errors[label].append(runs[label][0]["metrics"]["top1_error_pct"])
    if len(seeds) > 1:
        print("top-1 error (%) over seeds " + ", ".join(map(str, seeds)))
        for label, _ in MODELS:
            values = errors[label]
            print(f"  {label:9s} " + "  ".join(f"{v:.2f}" for v in values)
                  + f"   mean {statistics.mean(values):.2f}  sd {statistics.stdev(values):.2f}")
    print(f"demo finished in {time.time() - began:.0f} s")


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
