"""scripts/train.py end to end on a tiny model: a NaN loss stops the run and keeps the last good
checkpoint; a model directory held by a live run is refused. The helpers here also serve
tests/test_resume.py and tests/test_distributed.py."""

import json
import os
import re
import socket
import subprocess
import sys

import pytest
import tensorflow as tf

from resizer import results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The demo's classifier and data, shrunk: 32 px -> learned resizer -> 16 px, 8 steps per epoch.
TINY = """--flagfile=configs/demo/tiny_cnn.flags
--experiment=test/tiny
--resizer=learned
--resizer_input=32
--output=16
--batch_size=8
--train_examples=64
--eval_examples=16
--learning_rate=0.01
--log_every_steps=1
--deterministic
"""


def tiny_flagfile(tmp_path):
    path = tmp_path / "tiny.flags"
    path.write_text(TINY)
    return str(path)


def train_command(flagfile, model_dir, *extra):
    return [sys.executable, os.path.join(ROOT, "scripts", "train.py"), f"--flagfile={flagfile}",
            f"--model_dir={model_dir}", *extra]


def run_train(flagfile, model_dir, *extra, env=None, timeout=240):
    return subprocess.run(train_command(flagfile, model_dir, *extra), cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=timeout)


def fingerprint(output):
    """(sha256 of the final weights, final step) from a train.py output."""
    match = re.search(r"weights sha256 ([0-9a-f]{64}) at step (\d+)", output)
    assert match, output[-3000:]
    return match.group(1), int(match.group(2))


def free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    model_dir = tmp_path / "run"
    proc = run_train(tiny_flagfile(tmp_path), model_dir, "--learning_rate=1e12", "--train_steps=40",
                     "--checkpoint_every_steps=2")
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    match = re.search(r"the training loss became (nan|inf|-inf) at step (\d+); stopped without saving\. "
                      r"The last good checkpoint is (\S+):", proc.stderr)
    assert match, proc.stderr[-2000:]
    bad_step, last_good = int(match.group(2)), match.group(3)
    assert tf.train.latest_checkpoint(str(model_dir)) == last_good
    good_step = int(last_good.rsplit("-", 1)[1])
    assert good_step < bad_step
    reader = tf.train.load_checkpoint(last_good)
    for name in reader.get_variable_to_shape_map():
        if name.startswith("model/") or name.startswith(("backbone/", "resizer/", "head/")):
            value = reader.get_tensor(name)
            assert value.dtype.kind != "f" or tf.reduce_all(tf.math.is_finite(value)), name
    assert not (model_dir / "results.json").exists()
    assert not (model_dir / ".lock").exists()  # released on the way out


def test_model_dir_held_by_a_live_run_is_refused(tmp_path):
    model_dir = tmp_path / "run"
    model_dir.mkdir()
    lock = model_dir / ".lock"
    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": "now"}))
    proc = run_train(tiny_flagfile(tmp_path), model_dir, "--train_steps=2")
    assert proc.returncode == 1
    assert f"lock file {lock}" in proc.stderr and f"pid {os.getpid()}" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not any(p.name.startswith("ckpt") for p in model_dir.iterdir())
    assert json.loads(lock.read_text())["pid"] == os.getpid()  # the owner's lock is untouched


def test_eval_refuses_a_model_dir_held_by_a_live_training_run(tmp_path):
    model_dir = tmp_path / "run"
    model_dir.mkdir()
    (model_dir / ".lock").write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": "now"}))
    command = train_command(tiny_flagfile(tmp_path), model_dir)
    command[1] = os.path.join(ROOT, "scripts", "eval.py")
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 1 and "ModelDirLocked" in proc.stderr, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert not (model_dir / "results.json").exists()


@pytest.mark.slow
def test_evaluation_only_run_is_assembled_from_its_init_runs(tmp_path):
    flagfile = tiny_flagfile(tmp_path)
    trained = tmp_path / "trained"
    proc = run_train(flagfile, trained, "--train_steps=4", "--eval_examples=32")
    assert proc.returncode == 0, proc.stderr[-3000:]
    # As the Table 6 diagonal: backbone, head and resizer come from that run; nothing is trained.
    proc = subprocess.run([sys.executable, "scripts/eval.py", f"--flagfile={flagfile}", "--train_epochs=0",
                           f"--model_dir={tmp_path / 'assembled'}", f"--init_backbone_from={trained}",
                           f"--init_resizer_from={trained}", "--eval_examples=32"],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    original = json.loads((trained / "results.json").read_text())
    assembled = json.loads((tmp_path / "assembled" / "results.json").read_text())
    assert assembled["metrics"] == original["metrics"]
    assert assembled["training"]["steps"] == 0 and original["training"]["steps"] == 4
    # The same model evaluated again keeps its provenance: a resizer trained from scratch.
    assert assembled["settings"] == original["settings"]
    # A resizer moved in front of another run's backbone names the backbone it was trained with.
    proc = subprocess.run([sys.executable, "scripts/eval.py", f"--flagfile={flagfile}", "--train_epochs=0",
                           f"--model_dir={tmp_path / 'moved'}", f"--init_backbone_from={trained}/ckpt-0",
                           f"--init_resizer_from={trained}", "--eval_examples=32"],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    moved = json.loads((tmp_path / "moved" / "results.json").read_text())
    assert moved["settings"]["resizer_trained_with"] == "tiny_cnn"  # from the trained run's config.json
    assert moved["metrics"] != original["metrics"]  # an untrained backbone behind the trained resizer


@pytest.mark.slow
def test_smoke_run_of_a_real_iqa_row(tmp_path):
    # Table 5's EfficientNet-b0 baseline, end to end on generated rating histograms: EMD loss,
    # PLCC/SRCC through the custom loop, results.json that reproduces no table.
    proc = run_train("configs/table5/efficientnet_b0/bicubic_224.flags", "", "--smoke", f"--runs_dir={tmp_path}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "has no smoke checkpoint" in proc.stdout  # its ImageNet baseline was not smoke-run: random start
    written = results.read(str(tmp_path / "smoke" / "table5" / "efficientnet_b0" / "bicubic_224" / "results.json"))
    assert written["table"] is None and written["task"] == "iqa" and written["dataset"] == "synthetic"
    assert written["experiment"] == "table5/efficientnet_b0/bicubic_224"
    assert -1 <= written["metrics"]["plcc"] <= 1 and -1 <= written["metrics"]["srcc"] <= 1
    assert written["settings"]["interpolation"] == "bicubic" and written["settings"]["output"] == 224
    assert written["training"]["steps"] == 3 and not written["training"]["full_train_split"]
    assert written["gflops"] == pytest.approx(0.74, abs=0.03)  # Table 5's EfficientNet-b0 bicubic 224 row
