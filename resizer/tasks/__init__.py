"""The task registry: what a task's model predicts, its loss, its metrics and what results.json
reports for it (as Model Garden's `Task` objects do). One module per task in this package;
the trainer and the model builder ask the task, never `if task == ...`.

Importing this package does not import TensorFlow: losses and metrics are built on demand.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

from resizer.registry import Registry

REGISTRY = Registry("task", package=__name__)


@dataclasses.dataclass(frozen=True)
class Reported:
    """A metric as results.json, TensorBoard, the comparison and the figures name and read it.

    name: results.json's key; range: (low, high) of its possible values; label / axis_label:
    the comparison's column and a figure's axis; tolerance: the largest |reproduced -
    published| that still reproduces a published number (compare.py); lower_is_better."""

    name: str
    range: tuple
    label: str
    axis_label: str
    tolerance: float
    lower_is_better: bool


@dataclasses.dataclass(frozen=True)
class Task:
    """A task.

    head_name: the name of the model's output layer (checkpoints and weight transfer use it).
    make_head: (features, num_classes, dropout) -> output tensor, float32.
    num_classes: the fixed number of outputs (IQA: 10 rating bins), or None (the data says).
    head_dropout: dropout before the head, or None for the backbone's own classifier dropout.
    make_loss: (label_smoothing) -> a keras loss with `.call(targets, predictions)`.
    make_metrics: () -> fresh evaluation metrics (inside the strategy scope).
    train_metrics: whether make_metrics() are also tracked over training windows (SRCC keeps
      every example: too much per window).
    reported: {Keras metric name (make_metrics): its Reported (the name results.json and
      TensorBoard use, range, labels, tolerance)}, in the order the paper prints them; `metrics`
      are those names.
    """

    name: str
    head_name: str
    make_head: Callable
    make_loss: Callable
    make_metrics: Callable
    reported: dict
    num_classes: Optional[int] = None
    head_dropout: Optional[float] = None
    train_metrics: bool = False
    description: str = ""

    @property
    def metrics(self):
        return tuple(r.name for r in self.reported.values())

    def check_num_classes(self, num_classes):
        """The head's output count for a requested num_classes (None: the task's default)."""
        if self.num_classes is not None:
            if num_classes not in (None, self.num_classes):
                raise ValueError(f"task={self.name!r} predicts {self.num_classes} outputs ({self.description}); "
                                 f"num_classes={num_classes!r} is not allowed (leave it unset).")
            return self.num_classes
        num_classes = 1000 if num_classes is None else num_classes
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
            raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}.")
        return num_classes


def register_task(task):
    return REGISTRY.register(task.name, task)


LOSS = ("loss", (0.0, float("inf")))  # every evaluation reports its loss too


def reported_names():
    """{Keras metric name: reported name} of every task's metrics, and the loss."""
    return {"loss": LOSS[0], **{k: r.name for _, t in REGISTRY.items() for k, r in t.reported.items()}}


def reported_ranges():
    """{reported name: (low, high)} of every task's metrics, and the loss."""
    return dict([LOSS] + [(r.name, r.range) for _, t in REGISTRY.items() for r in t.reported.values()])


def reported_metrics():
    """{reported name: Reported} of every task's metrics (the loss aside)."""
    return {r.name: r for _, t in REGISTRY.items() for r in t.reported.values()}


def get(name):
    return REGISTRY.get(name)


def names():
    return REGISTRY.names()
