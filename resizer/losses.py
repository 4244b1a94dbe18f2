"""The training losses of Section 3.2: label-smoothed cross-entropy (Eq. 1) and EMD (Eq. 2).

All losses return one value per example; Keras' default reduction then takes the batch
mean (and divides by the global batch under tf.distribute).
"""

from __future__ import annotations

import keras
import tensorflow as tf

LABEL_SMOOTHING = 0.1  # epsilon of Eq. 1
CLASSIFICATION_LOSSES = ("softmax", "sigmoid")


def smoothed_targets(labels, num_classes, label_smoothing):
    """q_k = (1 - eps) * delta_{k,y} + eps / K (Eq. 1) from integer labels."""
    labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
    one_hot = tf.one_hot(labels, num_classes, dtype=tf.float32)
    return one_hot * (1.0 - label_smoothing) + label_smoothing / tf.cast(num_classes, tf.float32)


@keras.saving.register_keras_serializable(package="resizer")
class SmoothedCrossEntropy(keras.losses.Loss):
    """Cross-entropy of integer labels against logits with label smoothing (Eq. 1).

    kind="softmax": -sum_k q_k log softmax(z)_k, Eq. 1 as written (p is a distribution).
    kind="sigmoid": sum_k of the binary cross-entropy of sigmoid(z_k) against q_k, the
      reading of the paper's "loss computed on the final logits with a Sigmoid layer".
    """

    def __init__(self, label_smoothing=LABEL_SMOOTHING, kind="softmax", name="smoothed_cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)
        if kind not in CLASSIFICATION_LOSSES:
            raise ValueError(f"Unknown classification loss {kind!r}; expected one of {', '.join(CLASSIFICATION_LOSSES)}.")
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}.")
        self.label_smoothing = float(label_smoothing)
        self.kind = kind

    def call(self, y_true, y_pred):
        logits = tf.cast(y_pred, tf.float32)
        targets = smoothed_targets(y_true, tf.shape(logits)[-1], self.label_smoothing)
        if self.kind == "softmax":
            return tf.nn.softmax_cross_entropy_with_logits(labels=targets, logits=logits)
        return tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits), axis=-1)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing, "kind": self.kind}


@keras.saving.register_keras_serializable(package="resizer")
class EMDLoss(keras.losses.Loss):
    """Earth Mover's Distance between rating histograms (Eq. 2, NIMA), per example:

        (mean_k |CDF(p)_k - CDF(q)_k|^r)^(1/r),  r = 2 in the paper,

    and Keras' reduction averages it over the batch (the root is taken per example, not
    over the whole batch). y_true and y_pred are (batch, K) distributions.
    """

    def __init__(self, r=2.0, name="emd", **kwargs):
        super().__init__(name=name, **kwargs)
        if not r > 0:
            raise ValueError(f"EMD exponent r must be > 0, got {r!r}.")
        self.r = float(r)

    def call(self, y_true, y_pred):
        return emd(y_true, y_pred, self.r)

    def get_config(self):
        return {**super().get_config(), "r": self.r}


def emd(y_true, y_pred, r=2.0):
    """Per-example EMD (see EMDLoss); returns shape (batch,)."""
    p = tf.cast(y_pred, tf.float32)
    q = tf.cast(y_true, tf.float32)
    diff = tf.abs(tf.cumsum(p, axis=-1) - tf.cumsum(q, axis=-1))
    if r == 2.0:
        # sqrt has an infinite gradient at 0; a perfect prediction must not give NaN.
        return tf.sqrt(tf.reduce_mean(tf.square(diff), axis=-1) + 1e-12)
    return tf.pow(tf.reduce_mean(tf.pow(diff, r), axis=-1) + 1e-12, 1.0 / r)


def mean_score(distribution):
    """sum_k k * p_k over the bins k = 1..K (the AVA mean rating); shape (batch,)."""
    p = tf.cast(distribution, tf.float32)
    bins = tf.range(1, tf.shape(p)[-1] + 1, dtype=tf.float32)
    return tf.reduce_sum(p * bins, axis=-1)


def for_task(task, classification_loss="softmax", label_smoothing=LABEL_SMOOTHING, emd_r=2.0):
    """The paper's loss of a task: SmoothedCrossEntropy for classification, EMD for IQA."""
    if task == "classification":
        return SmoothedCrossEntropy(label_smoothing=label_smoothing, kind=classification_loss)
    if task == "iqa":
        return EMDLoss(r=emd_r)
    raise ValueError(f"Unknown task {task!r}; expected classification or iqa.")
