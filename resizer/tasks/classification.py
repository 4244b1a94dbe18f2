"""Image classification (ImageNet, CIFAR-10, your folders): softmax cross-entropy with label
smoothing (Eq. 1), top-1/top-5 error."""

from resizer.tasks import Reported, Task, register_task


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
                   # Tolerances: the paper prints errors to 0.1 points; 0.5 allows ImageNet run-to-run noise.
                   reported={"top1_error": Reported("top1_error_pct", (0.0, 100.0), "top-1 %", "top-1 error (%)", 0.5,
                                                    lower_is_better=True),
                             "top5_error": Reported("top5_error_pct", (0.0, 100.0), "top-5 %", "top-5 error (%)", 0.5,
                                                    lower_is_better=True)},
                   train_metrics=True, description="class logits"))
