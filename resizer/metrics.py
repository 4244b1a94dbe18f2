"""Evaluation metrics of Tables 4 and 5 as Keras metrics that work under tf.distribute.

- `TopKError(k)`: top-k error in percent (Table 4), on integer labels and logits.
- `PLCC`, `SRCC`: Pearson / Spearman correlation between predicted and ground-truth mean
  scores (sum_k k p_k of the 10-bin AVA histograms), over the whole evaluated set
  (Table 5), not an average of per-batch correlations.

Distribution: Keras metric variables are SyncOnRead with SUM aggregation, so a value read
in cross-replica context (what Keras' evaluate/fit report at the end, and what a custom
loop reads after `strategy.run`) is the sum over replicas. PLCC keeps sufficient
statistics (sums of x, y, x^2, y^2, xy in float64), which add across replicas. SRCC needs
every value to rank them: each replica writes its (prediction, target) pairs into its own
row of a (replicas, capacity, 2) buffer, so the cross-replica sum of the buffers is the
concatenation of the rows; ranks (ties averaged, as scipy.stats.rankdata) are computed
with TF ops in `result()`, which therefore works eagerly and in graph mode. Read inside a
replica (Keras' per-step progress logs), both metrics see that replica's data only.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from resizer.losses import mean_score

SRCC_CAPACITY = 2 ** 18  # examples per replica; AVA's test split has about 20k


@keras.saving.register_keras_serializable(package="resizer")
class TopKError(keras.metrics.SparseTopKCategoricalAccuracy):
    """100 * (1 - top-k accuracy): the percentage of examples whose label is not among the
    k highest logits (integer labels)."""

    def __init__(self, k=1, name=None, dtype=None):
        super().__init__(k=k, name=name or f"top{k}_error", dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        # in_top_k takes float32 only; logits may be float16/float64.
        return super().update_state(y_true, tf.cast(y_pred, tf.float32), sample_weight)

    def result(self):
        return 100.0 * (1.0 - super().result())


def _pearson(x, y):
    """Pearson correlation of two float64 vectors; 0 when either is constant or too short."""
    x = x - tf.reduce_mean(x)
    y = y - tf.reduce_mean(y)
    denom = tf.sqrt(tf.reduce_sum(x * x) * tf.reduce_sum(y * y))
    return tf.math.divide_no_nan(tf.reduce_sum(x * y), denom)


def average_ranks(values):
    """1-based ranks of a vector, ties given their average rank (scipy.stats.rankdata)."""
    n = tf.size(values)
    order = tf.argsort(values, stable=True)
    ordered = tf.gather(values, order)
    starts = tf.concat([[True], ordered[1:] != ordered[:-1]], axis=0)
    group = tf.cumsum(tf.cast(starts, tf.int32)) - 1
    positions = tf.cast(tf.range(1, n + 1), tf.float64)
    group_rank = tf.math.unsorted_segment_mean(positions, group, num_segments=tf.reduce_max(group) + 1)
    return tf.scatter_nd(order[:, None], tf.gather(group_rank, group), [n])


@keras.saving.register_keras_serializable(package="resizer")
class PLCC(keras.metrics.Metric):
    """Pearson linear correlation of predicted vs ground-truth mean scores over all updates.

    update_state(y_true, y_pred): (batch, K) rating distributions (targets, predictions).
    """

    def __init__(self, name="plcc", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.moments = self.add_variable(shape=(6,), initializer="zeros", dtype="float64", name="moments")

    def update_state(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise ValueError("PLCC does not support sample_weight.")
        x = tf.cast(mean_score(y_pred), tf.float64)
        y = tf.cast(mean_score(y_true), tf.float64)
        n = tf.cast(tf.size(x), tf.float64)
        batch = tf.stack([n, tf.reduce_sum(x), tf.reduce_sum(y), tf.reduce_sum(x * x), tf.reduce_sum(y * y),
                          tf.reduce_sum(x * y)])
        self.moments.assign_add(batch)

    def result(self):
        m = tf.convert_to_tensor(self.moments)
        n, sx, sy, sxx, syy, sxy = tf.unstack(m)
        cov = sxy - sx * sy / tf.maximum(n, 1.0)
        var_x = sxx - sx * sx / tf.maximum(n, 1.0)
        var_y = syy - sy * sy / tf.maximum(n, 1.0)
        value = tf.math.divide_no_nan(cov, tf.sqrt(tf.maximum(var_x * var_y, 0.0)))
        return tf.cast(value, tf.float32)


@keras.saving.register_keras_serializable(package="resizer")
class SRCC(keras.metrics.Metric):
    """Spearman rank correlation of predicted vs ground-truth mean scores over all updates.

    Keeps up to `capacity` examples per replica (an update beyond it fails with a message
    naming the capacity); create it inside the strategy scope it is used with.
    """

    def __init__(self, name="srcc", capacity=SRCC_CAPACITY, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if not isinstance(capacity, int) or capacity < 2:
            raise ValueError(f"SRCC capacity must be an int >= 2, got {capacity!r}.")
        self.capacity = capacity
        self.num_replicas = tf.distribute.get_strategy().num_replicas_in_sync
        self.pairs = self.add_variable(shape=(self.num_replicas, capacity, 2), initializer="zeros", dtype="float32",
                                       name="pairs")
        self.counts = self.add_variable(shape=(self.num_replicas,), initializer="zeros", dtype="float32",
                                        name="counts")

    def update_state(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise ValueError("SRCC does not support sample_weight.")
        pairs = tf.stack([mean_score(y_pred), mean_score(y_true)], axis=-1)
        context = tf.distribute.get_replica_context()
        replica = 0 if context is None else context.replica_id_in_sync_group
        replica = tf.cast(replica, tf.int32)
        counts = tf.convert_to_tensor(self.counts)
        start = tf.cast(tf.gather(counts, replica), tf.int32)
        batch = tf.shape(pairs)[0]
        check = tf.debugging.assert_less_equal(
            start + batch, self.capacity,
            message=f"SRCC holds at most {self.capacity} examples per replica; evaluate on fewer examples or "
                    f"create SRCC(capacity=...) larger")
        with tf.control_dependencies([check]):
            rows = tf.fill([batch], replica)
            index = tf.stack([rows, start + tf.range(batch)], axis=-1)
            self.pairs.assign(tf.tensor_scatter_nd_update(tf.convert_to_tensor(self.pairs), index, pairs))
            self.counts.assign(tf.tensor_scatter_nd_add(counts, [[replica]], [tf.cast(batch, tf.float32)]))

    def result(self):
        counts = tf.cast(tf.convert_to_tensor(self.counts), tf.int32)
        pairs = tf.convert_to_tensor(self.pairs)
        valid = tf.range(self.capacity)[None, :] < counts[:, None]
        kept = tf.cast(tf.boolean_mask(pairs, valid), tf.float64)

        def correlation():
            return _pearson(average_ranks(kept[:, 0]), average_ranks(kept[:, 1]))

        value = tf.cond(tf.shape(kept)[0] >= 2, correlation, lambda: tf.constant(0.0, tf.float64))
        return tf.cast(value, tf.float32)

    def get_config(self):
        return {**super().get_config(), "capacity": self.capacity}


def for_task(task):
    """The paper's evaluation metrics of a task (fresh instances; call inside the strategy scope)."""
    if task == "classification":
        return [TopKError(1), TopKError(5)]
    if task == "iqa":
        return [PLCC(), SRCC()]
    raise ValueError(f"Unknown task {task!r}; expected classification or iqa.")
