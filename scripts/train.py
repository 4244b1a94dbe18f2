"""Trains one experiment: python scripts/train.py --flagfile=configs/<table>/<backbone>/<row>.flags

Restarting the same command resumes from the model directory's latest checkpoint and ends
at the same step. At the end the model is evaluated and results.json written into the
model directory (--noeval_at_end skips it). `--smoke` runs the configuration for a few steps
on generated data. `--helpfull` lists every flag with its unit and default.
"""

import _bootstrap  # noqa: F401


from absl import app, flags

from resizer import config

config.define_flags()
FLAGS = flags.FLAGS


def main(argv):
    cfg = config.for_script(argv, FLAGS)
    from resizer import training
    from resizer.training import cluster, runtime

    results, status = runtime.run_reporting(
        "train.py", "setup or the final evaluation", lambda: training.train(cfg),
        (training.TrainingDiverged, training.Preempted, training.ModelDirLocked, cluster.SetupFailedElsewhere))
    if status:
        return status
    if results is not None:
        print(f"results: {cfg.resolved_model_dir()}/results.json")
        print("  " + ", ".join(f"{k} {v:.4g}" for k, v in results["metrics"].items()))
    return 0


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
