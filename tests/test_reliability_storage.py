"""Model directories on a tf.io.gfile store: TensorFlow's in-memory filesystem (ram://), which
is per process and has no exclusive create. A run trains there, writes its run files, lock,
checkpoints and results.json, and a second run in the same process resumes from them;
results.json and atomic writes work on such URLs."""

import json
import os
import subprocess
import sys

import pytest
import tensorflow as tf

from resizer import files, results
from test_compare import make_results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RUN = """
import json, sys
import tensorflow as tf
from resizer import config, results, training
values = dict(experiment="test/ram", task="classification", dataset="synthetic", num_classes=4,
              interpolation="bilinear", train_split="train", eval_split="test", backbone="tiny_cnn",
              resizer="bilinear", output=16, batch_size=8, train_examples=32, eval_examples=8, train_steps=6,
              checkpoint_every_steps=3, log_every_steps=3, deterministic=True, model_dir="ram:///runs/tiny")
training.train(config.make(values), log=lambda line: print(line, flush=True))
first = sorted(tf.io.gfile.listdir("ram:///runs/tiny"))
training.train(config.make({**values, "train_steps": 9}), log=lambda line: print(line, flush=True))
print("FILES", json.dumps(first))
print("RESULTS", json.dumps(results.read("ram:///runs/tiny/results.json")["training"]))
"""


@pytest.mark.slow  # two tiny runs and an evaluation in one process: ~40 s on 2 shared cores
def test_a_run_on_a_ram_store_trains_writes_and_resumes(tmp_path):
    proc = subprocess.run([sys.executable, "-c", RUN], cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    written = json.loads(proc.stdout.split("FILES ", 1)[1].splitlines()[0])
    for name in ("ckpt-6.index", "checkpoint", "config.json", "flags.txt", "plan.json", "results.json"):
        assert name in written, written
    assert ".lock" not in written  # released
    assert "resuming from ram:///runs/tiny/ckpt-6 (step 6 of 9)" in proc.stdout, proc.stdout[-2000:]
    assert json.loads(proc.stdout.split("RESULTS ", 1)[1].splitlines()[0])["steps"] == 9
    assert os.listdir(tmp_path) == []  # nothing went to a local "ram:" folder


def test_results_and_atomic_writes_on_a_gfile_url():
    path = "ram:///results/run/results.json"
    results.write(path, make_results())
    assert results.read(path) == make_results() | {"created": results.read(path)["created"]}
    files.atomic_write_text("ram:///results/run/notes.txt", "one\n")
    files.atomic_write_text("ram:///results/run/notes.txt", "two\n")
    assert files.read_text("ram:///results/run/notes.txt") == "two\n"
    assert sorted(tf.io.gfile.listdir("ram:///results/run")) == ["notes.txt", "results.json"]  # no temporaries
