"""The per-step functions of a run: one training step over all replicas (forward, backward, the
optimiser update) and one evaluation step. They know the task only through its loss and metrics."""

from __future__ import annotations

import tensorflow as tf

from resizer.training import optim


def make_train_step(run, optimizer, loss_fn, train_metrics):
    cfg, model, strategy = run.cfg, run.model, run.strategy

    def forward_backward(images, targets):
        with tf.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = tf.nn.compute_average_loss(loss_fn.call(targets, predictions), global_batch_size=cfg.batch_size)
            total = loss
            penalty = optim.weight_decay_penalty(cfg, model.trainable_variables)
            if penalty is not None:
                total += tf.nn.scale_regularization_loss(penalty)
            scaled = optimizer.scale_loss(total)
        return loss, total, predictions, tape.gradient(scaled, model.trainable_variables)

    if cfg.jit_compile:
        # XLA compiles the forward and backward pass only: the optimizer update writes
        # mirrored variables of every replica, which one XLA cluster may not touch.
        forward_backward = tf.function(forward_backward, jit_compile=True)

    def replica_step(images, targets):
        loss, total, predictions, gradients = forward_backward(images, targets)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        for metric in train_metrics:
            metric.update_state(targets, predictions)
        return loss, total

    @tf.function
    def train_step(iterator):
        """(task loss, task loss + weight decay) of one global batch."""
        images, targets = next(iterator)
        per_replica = strategy.run(replica_step, args=(images, targets))
        return [strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None) for value in per_replica]

    return train_step
