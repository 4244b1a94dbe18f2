"""Evaluates one experiment and writes results.json into its model directory:

    python scripts/eval.py --flagfile=configs/<table>/<backbone>/<row>.flags [--checkpoint=...]

--checkpoint takes a checkpoint prefix, a directory or an experiment name; by default the
model directory's latest checkpoint (an evaluation-only experiment without one is assembled
from its --init_* checkpoints). `--helpfull` lists every flag.
"""

import _bootstrap  # noqa: F401

import json
import sys

from absl import app, flags

from resizer import config

config.define_flags()
flags.DEFINE_string("checkpoint", "", "Checkpoint to evaluate: prefix, directory or experiment name "
                                      "(empty: the latest in --model_dir).")
FLAGS = flags.FLAGS


def main(argv):
    cfg = config.for_script(argv, FLAGS)
    from resizer import training

    try:
        results = training.evaluate_checkpoint(cfg, FLAGS.checkpoint)
    except (training.ModelDirLocked, FileNotFoundError, ValueError) as e:
        print(f"eval.py: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    if results is not None:
        print(f"results: {cfg.resolved_model_dir()}/results.json")
        print(json.dumps(results["metrics"], indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
