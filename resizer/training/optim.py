"""The optimiser of Section 4: momentum SGD on the staircase schedule, and the weight decay
penalty (L2 on convolution and dense kernels) added to the loss."""

from __future__ import annotations

import keras
import tensorflow as tf

from resizer.training import schedule


def is_decayed(variable):
    # Kernels of convolutions and dense layers; biases, BN and the like are not decayed.
    return variable.path.rsplit("/", 1)[-1] in ("kernel", "depthwise_kernel", "pointwise_kernel")


def weight_decay_penalty(cfg, variables):
    """cfg.weight_decay x the L2 of the decayed variables among `variables` (0 when there are none)."""
    decayed = [v for v in variables if is_decayed(v)]
    if not cfg.weight_decay or not decayed:
        return None
    return cfg.weight_decay * tf.add_n([tf.nn.l2_loss(tf.cast(v, tf.float32)) for v in decayed])


def make_optimizer(cfg, plan, model):
    """Momentum SGD on the staircase schedule (loss-scaled under float16), built for the model."""
    rate = schedule.learning_rate(cfg.learning_rate, plan.decay_steps, cfg.lr_decay_rate)
    optimizer = keras.optimizers.SGD(rate, momentum=cfg.momentum)
    if cfg.mixed_precision and cfg.strategy != "tpu":
        optimizer = keras.mixed_precision.LossScaleOptimizer(optimizer)
    optimizer.build(model.trainable_variables)  # slots exist before a checkpoint is restored into them
    return optimizer
