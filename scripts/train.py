"""Trains one experiment: python scripts/train.py --flagfile=configs/<table>/<backbone>/<row>.flags

Restarting the same command resumes from the model directory's latest checkpoint and ends
at the same step. At the end the model is evaluated and results.json written into the
model directory (--noeval_at_end skips it). `--smoke` runs the configuration for a few steps
on generated data. `--helpfull` lists every flag with its unit and default.
"""

import _bootstrap  # noqa: F401

import sys

from absl import app, flags

from resizer import config

config.define_flags()
FLAGS = flags.FLAGS


def main(argv):
    cfg = config.for_script(argv, FLAGS)
    from resizer import training
    from resizer.training import cluster, runtime

    try:
        with runtime.sigterm_raises("setup or the final evaluation"):
            results = training.train(cfg)
    except (training.TrainingDiverged, training.Preempted, training.ModelDirLocked, runtime.Terminated,
            cluster.SetupFailedElsewhere, ValueError) as e:
        print(f"train.py: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # a full disk, an unreadable file: one line, not a traceback
        line = runtime.describe_failure(e)
        if line is None:
            raise
        print(f"train.py: {line}", file=sys.stderr)
        return 1
    if results is not None:
        print(f"results: {cfg.resolved_model_dir()}/results.json")
        print("  " + ", ".join(f"{k} {v:.4g}" for k, v in results["metrics"].items()))
    return 0


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
