"""How long a run trains and at which learning rate (Section 4).

Momentum SGD; the learning rate starts at 0.05 (from scratch) or 0.005 (fine-tuning) and is
multiplied by 0.94 every 2 epochs, staircase. Epochs are counted in optimizer steps of the
*global* batch over the training split, so the schedule is the same on any number of
replicas. The decay period in steps is TF-slim's (`train_image_classifier.py`, the script
the paper's schedule is the default of): `int(num_samples_per_epoch / batch_size *
num_epochs_per_decay)`, truncated, not rounded (`slim_decay_steps`).
"""

from __future__ import annotations

import dataclasses
import math


@dataclasses.dataclass(frozen=True)
class Plan:
    """Step counts of one run, derived from the split size and the global batch."""

    train_examples: int
    global_batch: int
    steps_per_epoch: int
    total_steps: int
    decay_steps: int

    def epoch_of(self, step):
        return step // self.steps_per_epoch

    def epochs_at(self, step):
        """Epochs (fractional) trained after `step` optimizer steps."""
        return step * self.global_batch / self.train_examples

    def epoch_end(self, step):
        """The step at which the epoch containing `step` ends (or the run ends, if earlier)."""
        return min((self.epoch_of(step) + 1) * self.steps_per_epoch, self.total_steps)


def plan(train_examples, global_batch, *, epochs, steps=0, decay_epochs=2.0):
    """A Plan; `steps` > 0 overrides `epochs`. ValueError when one epoch is not one full batch."""
    if train_examples < global_batch:
        raise ValueError(f"--batch_size={global_batch} is larger than the {train_examples} training examples; "
                         "lower --batch_size or use more --train_examples")
    steps_per_epoch = train_examples // global_batch
    total = steps if steps > 0 else int(round(epochs * steps_per_epoch))
    decay_steps = slim_decay_steps(train_examples, global_batch, decay_epochs)
    return Plan(train_examples, global_batch, steps_per_epoch, total, decay_steps)


def slim_decay_steps(train_examples, global_batch, decay_epochs):
    """Steps between decays, computed as slim's _configure_learning_rate does (same float
    operations in the same order, then int()); at least 1 (slim would divide by zero)."""
    return max(1, int(train_examples / global_batch * decay_epochs))


def learning_rate(initial, decay_steps, decay_rate):
    """The staircase exponential decay as a Keras schedule (evaluated at optimizer.iterations)."""
    import keras

    return keras.optimizers.schedules.ExponentialDecay(initial, decay_steps, decay_rate, staircase=True)


def learning_rate_at(step, initial, decay_steps, decay_rate):
    """The same schedule in plain Python (for logs and tests)."""
    return initial * decay_rate ** math.floor(step / decay_steps)
