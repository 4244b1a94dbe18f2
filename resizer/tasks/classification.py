"""Image classification (ImageNet, CIFAR-10, your folders): softmax cross-entropy with label
smoothing (Eq. 1), top-1/top-5 error."""

from resizer.tasks import Task, register_task


def _head(features, num_classes, dropout):
    import keras

    x = keras.layers.Dropout(float(dropout), name="head_dropout")(features)
    return keras.layers.Dense(num_classes, dtype="float32", name="logits")(x)


def _loss(label_smoothing):
    from resizer.losses import SmoothedCrossEntropy

    return SmoothedCrossEntropy(label_smoothing=label_smoothing, kind="softmax")


def _metrics():
    from resizer.metrics import TopKError

    return [TopKError(1), TopKError(5)]


register_task(Task("classification", "logits", _head, _loss, _metrics,
                   reported={"top1_error": ("top1_error_pct", (0.0, 100.0)), "top5_error": ("top5_error_pct", (0.0, 100.0))},
                   train_metrics=True, description="class logits"))
