"""The demo (make demo): a small classifier on generated 64 px images, behind a bilinear
resize to 16 px or a learned 64 -> 16 resizer; a CPU-sized schedule."""

from resizer import experiments as ex

EPOCHS = 6
# Our choice: a from-scratch rate of 0.01, not 0.05, because 0.05 left the learned-resizer
# model's batch-norm statistics unstable at this scale (docs/training.md).
LEARNING_RATE = 0.01
SHARED_FILES = {"synthetic": (
    "The demo's generated task (resizer/data/synthetic.py): 64 px images whose class is a fine "
    "texture, small classifier, CPU-sized schedule (make demo).",
    {"lr_decay_rate": "0.8", "lr_decay_epochs": "0.5", "checkpoint_every_steps": "256", "log_every_steps": "64",
     "deterministic": "true"})}


def experiments():
    return [
        ex.Experiment("demo/bilinear_16", None, "synthetic", "tiny_cnn", "bilinear", output=16, batch_size=32,
                      learning_rate=LEARNING_RATE, train_epochs=EPOCHS,
                      description="Demo: the small classifier on 64 px generated images shrunk to 16 px by bilinear"),
        ex.Experiment("demo/learned_64", None, "synthetic", "tiny_cnn", "learned", output=16, batch_size=32,
                      resizer_input=64, filters=16, res_blocks=1, learning_rate=LEARNING_RATE, train_epochs=EPOCHS,
                      description="Demo: the same classifier behind a learned 64 -> 16 resizer, trained jointly"),
    ]
