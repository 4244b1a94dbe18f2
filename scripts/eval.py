"""Evaluates one experiment and writes results.json into its model directory:

    python scripts/eval.py --flagfile=configs/<table>/<backbone>/<row>.flags [--checkpoint=...]

--checkpoint takes a checkpoint prefix, a directory or an experiment name; by default the
model directory's latest checkpoint (an evaluation-only experiment without one is assembled
from its --init_* checkpoints). `--helpfull` lists every flag.

Released weights (resizer/validate.py, docs/validate.md): with a configs/validate/ flag file

    python scripts/eval.py --flagfile=configs/validate/<name>.flags --backbone_weights=PATH

it also prints measured vs published top-1/top-5 and records both under "validation" in
results.json.
"""

import _bootstrap  # noqa: F401

import json
import os

from absl import app, flags

from resizer import config
from resizer import validate

config.define_flags()
flags.DEFINE_string("checkpoint", "", "Checkpoint to evaluate: prefix, directory or experiment name "
                                      "(empty: the latest in --model_dir).")
FLAGS = flags.FLAGS


def main(argv):
    cfg = config.for_script(argv, FLAGS)
    try:
        released = validate.for_experiment(cfg.experiment)
    except ValueError as e:
        raise app.UsageError(str(e)) from None
    from resizer import training
    from resizer.training import cluster, runtime

    def annotate(results):  # measured vs published, in the one results.json write
        if released is not None:
            results["validation"] = validate.comparison(released, results)

    results, status = runtime.run_reporting(
        "eval.py", "the evaluation", lambda: training.evaluate_checkpoint(cfg, FLAGS.checkpoint, annotate=annotate),
        (training.ModelDirLocked, cluster.SetupFailedElsewhere))
    if status:
        return status
    if results is not None:
        path = os.path.join(cfg.resolved_model_dir(), "results.json")
        print(f"results: {path}")
        print(json.dumps(results["metrics"], indent=2, sort_keys=True))
        if released is not None:
            print(validate.format_comparison(results["validation"]))
    return 0


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
