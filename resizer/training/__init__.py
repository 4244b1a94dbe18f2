"""Training and evaluation of one experiment (Section 4 of the paper).

    cfg = resizer.config.make({...})          # or config.from_flags() in a script
    results = resizer.training.train(cfg)      # trains or resumes, evaluates, writes results.json
    results = resizer.training.evaluate_checkpoint(cfg, checkpoint="")

Modules: `loop` (the custom training loop and evaluation), `schedule` (steps, epochs, the
learning rate), `checkpoints` (checkpoints, the model-directory lock, starting from other
runs), `runtime` (tf.distribute strategy, precision, hardware), `progress` (TensorBoard and
console), `report` (flags.txt, config.json, results.json).
"""

from resizer.training.checkpoints import ModelDirLocked, RunLock
from resizer.training.loop import Preempted, TrainingDiverged, evaluate_checkpoint, train, weights_fingerprint

__all__ = ["train", "evaluate_checkpoint", "weights_fingerprint", "TrainingDiverged", "Preempted",
           "ModelDirLocked", "RunLock"]
