"""What a run shows while it trains: TensorBoard scalars and a console progress bar with ETA.

TensorBoard event files (`<model_dir>/train`, `<model_dir>/eval`): loss, the task metrics,
learning rate and images/s every --log_every_steps; the evaluation's metrics under the same
tags (one chart for both); resizer/training/tb_images.py adds resized images at each
evaluation. The console gets a tqdm bar on a terminal and, when the output is a file or a
pipe, one line per --log_every_steps with the same numbers and the ETA.
"""

from __future__ import annotations

import datetime
import os
import sys
import time

import tensorflow as tf
from tensorflow.core.framework import summary_pb2

from resizer.training import report


class Progress:
    """Console progress of steps [start, total) plus TensorBoard scalars (chief only)."""

    def __init__(self, model_dir, start, total, *, enabled=True, stream=None):
        self.start, self.total, self.enabled = start, total, enabled
        self.stream = stream or sys.stdout
        self.began = time.time()
        self.writer = (tf.summary.create_file_writer(os.path.join(model_dir, "train")) if enabled
                       else tf.summary.create_noop_writer())
        self.bar = None
        if enabled and self.stream.isatty():
            from tqdm import tqdm  # a dependency of tensorflow-datasets

            self.bar = tqdm(total=total, initial=start, unit="step", dynamic_ncols=True, file=self.stream)

    def eta(self, step):
        done = step - self.start
        if done <= 0:
            return "?"
        left = (time.time() - self.began) / done * (self.total - step)
        return str(datetime.timedelta(seconds=int(left)))

    def step(self, step):
        if self.bar is not None:
            self.bar.update(step - self.bar.n)

    def log(self, step, scalars):
        """Writes scalars at `step` to TensorBoard and the console."""
        if not self.enabled:
            return
        with self.writer.as_default(step=step):
            for name, value in scalars.items():
                scalar(name, value)
        text = " ".join(f"{k} {_fmt(v)}" for k, v in scalars.items())
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=True)
        else:
            percent = 100.0 * step / max(self.total, 1)
            print(f"step {step}/{self.total} ({percent:.0f}%) {text} ETA {self.eta(step)}", file=self.stream,
                  flush=True)

    def message(self, text):
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
        self.writer.flush()
        self.writer.close()


def scalar(name, value):
    """tf.summary.scalar without importing the tensorboard package: the same event record,
    tagged for TensorBoard's scalars plugin (`tensorboard --logdir runs/` shows it)."""
    metadata = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    tf.summary.write(name, tf.constant(value, tf.float32), metadata=metadata)


def _fmt(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def write_scalars(directory, step, scalars):
    """One-off scalars (evaluation results) into a TensorBoard directory.

    Metric names are written as training logs them (report.METRIC_NAMES: `top1_error` ->
    `top1_error_pct`), so that train/ and eval/ share one chart per metric."""
    writer = tf.summary.create_file_writer(directory)
    with writer.as_default(step=step):
        for name, value in scalars.items():
            scalar(report.METRIC_NAMES.get(name, name), value)
    writer.close()
