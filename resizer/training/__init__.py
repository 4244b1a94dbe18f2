"""Training and evaluation of one experiment (Section 4 of the paper).

    cfg = resizer.config.make({...})          # or config.from_flags() in a script
    results = resizer.training.train(cfg)      # trains or resumes, evaluates, writes results.json
    results = resizer.training.evaluate_checkpoint(cfg, checkpoint="")

Modules, one job each: `loop` (the training loop: resume, NaN stop, checkpoints), `steps`
(the per-step functions), `optim` (momentum SGD, weight decay), `schedule` (steps, epochs,
the learning rate), `data` (the run's datasets and step plan), `model` (the run's model and
its model.json), `init` (starting from other runs), `replicas` (strategy, chief lock,
batch-norm sync), `signals` (SIGTERM), `evaluation` (metrics, results.json, eval.py),
`checkpoints` (checkpoints, the model-directory lock), `runtime` (tf.distribute, precision,
hardware), `progress` (TensorBoard and console), `report` (flags.txt, config.json, results.json).
The task (resizer.tasks) gives the loss and metrics; nothing here asks which task it is.
"""

from resizer.training.checkpoints import ModelDirLocked, RunLock
from resizer.training.evaluation import evaluate_checkpoint
from resizer.training.loop import Preempted, TrainingDiverged, train, weights_fingerprint

__all__ = ["train", "evaluate_checkpoint", "weights_fingerprint", "TrainingDiverged", "Preempted",
           "ModelDirLocked", "RunLock"]
