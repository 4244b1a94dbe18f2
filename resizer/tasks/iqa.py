"""Image quality assessment (AVA): a 10-bin softmax over the rating histogram (NIMA's head),
EMD loss with r = 2, PLCC/SRCC of the predicted mean score."""

from resizer.tasks import Reported, Task, register_task

IQA_BINS = 10  # AVA ratings 1..10
IQA_DROPOUT = 0.75  # NIMA's head (Talebi & Milanfar 2018, the paper's [37])


def _head(features, num_classes, dropout):
    import keras

    x = keras.layers.Dropout(float(dropout), name="head_dropout")(features)
    return keras.layers.Dense(num_classes, activation="softmax", dtype="float32", name="scores")(x)


def _loss(label_smoothing):
    del label_smoothing  # EMD has none
    from resizer.losses import EMDLoss

    return EMDLoss(r=2.0)


def _metrics():
    from resizer.metrics import PLCC, SRCC

    return [PLCC(), SRCC()]


register_task(Task("iqa", "scores", _head, _loss, _metrics,
                   # Tolerances: the paper prints correlations to 0.001; 0.01 allows for AVA's ~20k-image test set.
                   reported={"plcc": Reported("plcc", (-1.0, 1.0), "PLCC", "PLCC", 0.01, lower_is_better=False),
                             "srcc": Reported("srcc", (-1.0, 1.0), "SRCC", "SRCC", 0.01, lower_is_better=False)},
                   num_classes=IQA_BINS,
                   head_dropout=IQA_DROPOUT, description=f"the {IQA_BINS}-bin rating histogram"))
