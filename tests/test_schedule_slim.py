"""The learning-rate schedule equals TF-slim's, step for step, over whole runs of every table.

Slim's train_image_classifier.py computes
    decay_steps = int(num_samples_per_epoch / FLAGS.batch_size * FLAGS.num_epochs_per_decay)
and returns tf.train.exponential_decay(lr, global_step, decay_steps, 0.94, staircase=True).
The reference here is that formula and TF's own exponential_decay (tf.compat.v1), evaluated
on every step of a run at once; ours is the Keras schedule scripts/train.py optimises with.
"""

import numpy as np
import pytest
import tensorflow as tf

from resizer import experiments
from resizer.datasets.ava import VALIDATION_SIZE
from resizer.training import schedule

IMAGENET_TRAIN = 1_281_167
CIFAR10_TRAIN = 50_000
# AVA's train split is the builder's usable non-test images minus VALIDATION_SIZE; the exact
# count depends on the AVA copy (unreadable files are skipped), so a band of counts around
# the distribution's 255,530 - 19,930 test images is checked, every one of them.
AVA_TRAIN_NOMINAL = 255_530 - 19_930 - VALIDATION_SIZE
EPOCHS = max(experiments.EPOCHS_SCRATCH, experiments.EPOCHS_FINETUNE, experiments.EPOCHS_RETUNE)
DECAY_EPOCHS, DECAY_RATE, LR = 2.0, 0.94, 0.05


def table_batches():
    """Every batch size a Table 4-9 experiment trains with."""
    batches = {e.batch_size for e in experiments.EXPERIMENTS.values() if e.table is not None}
    assert batches == {128, 96, 64, 48, 32}
    return sorted(batches)


def slim_learning_rates(train_examples, batch, steps):
    decay_steps = int(train_examples / batch * DECAY_EPOCHS)
    rate = tf.compat.v1.train.exponential_decay(LR, steps, decay_steps, DECAY_RATE, staircase=True)
    return (rate() if callable(rate) else rate).numpy()


def check_whole_run(train_examples, batch):
    plan = schedule.plan(train_examples, batch, epochs=EPOCHS, decay_epochs=DECAY_EPOCHS)
    steps = tf.range(plan.total_steps + 1, dtype=tf.int64)
    ours = schedule.learning_rate(LR, plan.decay_steps, DECAY_RATE)(steps).numpy()
    theirs = slim_learning_rates(train_examples, batch, steps)
    assert ours.shape == theirs.shape == (plan.total_steps + 1,)
    wrong = np.flatnonzero(~np.isclose(ours, theirs, rtol=1e-6, atol=0))
    assert wrong.size == 0, f"N={train_examples} B={batch}: {wrong.size} steps differ, first {wrong[:3]}"
    return plan


@pytest.mark.parametrize("batch", table_batches())
@pytest.mark.parametrize("train_examples", [IMAGENET_TRAIN, CIFAR10_TRAIN, AVA_TRAIN_NOMINAL])
def test_learning_rate_equals_slims_at_every_step(train_examples, batch):
    plan = check_whole_run(train_examples, batch)
    assert plan.total_steps >= EPOCHS * (train_examples // batch)


@pytest.mark.parametrize("batch", table_batches())
def test_decay_steps_equal_slims_for_any_ava_size(batch):
    """Every AVA train size within 300 of the nominal one (fast: the formula only, no schedule)."""
    for n in range(AVA_TRAIN_NOMINAL - 300, AVA_TRAIN_NOMINAL + 301):
        assert schedule.plan(n, batch, epochs=1).decay_steps == int(n / batch * DECAY_EPOCHS)


def test_the_rounding_slim_does_not_do_is_gone():
    """At batch 48 on ImageNet 2 epochs are 53,381.96 steps: slim decays after 53,381."""
    plan = check_whole_run(IMAGENET_TRAIN, 48)
    assert plan.decay_steps == 53_381
    rates = schedule.learning_rate(LR, plan.decay_steps, DECAY_RATE)(tf.constant([53_380, 53_381])).numpy()
    np.testing.assert_allclose(rates, [LR, LR * DECAY_RATE], rtol=1e-6)
