"""--jit_compile trains with several replicas (XLA may not write other replicas' variables)."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = r"""
import numpy as np, tensorflow as tf, keras
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from resizer import config, losses
from resizer.training.model import Run, build_model
from resizer.training.steps import make_train_step
cfg = config.make({"experiment": "x", "backbone": "tiny_cnn", "output": 16, "batch_size": 4, "jit_compile": True,
                   "num_classes": 4, "weight_decay": 0.0})
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    model = build_model(cfg)
    optimizer = keras.optimizers.SGD(0.1, momentum=0.9)
    optimizer.build(model.trainable_variables)
before = [v.numpy() for v in model.trainable_variables]
step = make_train_step(Run(cfg, strategy, model, "", True, 0), optimizer, losses.for_task("classification"), [])
data = tf.data.Dataset.from_tensors((tf.random.uniform((4, 16, 16, 3), seed=1), tf.constant([0, 1, 2, 3]))).repeat()
loss, total = (float(x) for x in step(iter(strategy.experimental_distribute_dataset(data))))
moved = sum(not np.allclose(a, v.numpy()) for a, v in zip(before, model.trainable_variables))
replicas = [t.numpy() for t in strategy.experimental_local_results(model.trainable_variables[0].value)]
print("RESULT", strategy.num_replicas_in_sync, np.isfinite(loss), moved, len(before), np.array_equal(*replicas))
"""


def test_xla_train_step_with_two_replicas():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": ROOT})
    line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT")]
    assert line, proc.stderr[-3000:]
    replicas, finite, moved, count, in_sync = line[0].split()[1:]
    assert replicas == "2" and finite == "True"
    assert int(moved) == int(count)   # every trainable variable was updated
    assert in_sync == "True"          # and both replicas hold the same values
