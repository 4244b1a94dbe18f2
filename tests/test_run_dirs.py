"""A failed run leaves no empty model directory behind; a smoke run says its numbers mean nothing."""

import os
import subprocess
import sys

from resizer import config
from resizer.training import checkpoints, smoke

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_lock_removes_only_the_empty_folders_it_created(tmp_path):
    model_dir = tmp_path / "runs" / "table4" / "row"
    with checkpoints.RunLock(str(model_dir)):
        assert model_dir.is_dir()
    assert not (tmp_path / "runs").exists()  # nothing was written: every folder it made is gone
    with checkpoints.RunLock(str(model_dir)):
        (model_dir / "flags.txt").write_text("--seed=0\n")
    assert (model_dir / "flags.txt").is_file()  # a run that wrote something keeps it
    (tmp_path / "mine").mkdir()
    with checkpoints.RunLock(str(tmp_path / "mine")):
        pass
    assert (tmp_path / "mine").is_dir()  # a folder that was there before stays


def test_a_real_run_without_data_fails_in_one_line_and_leaves_no_directory(tmp_path):
    row = os.path.join(ROOT, "configs", "table4", "resnet50", "bilinear_224.flags")
    env = {**os.environ, "RESIZER_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "train.py"), f"--flagfile={row}",
                           "--runs_dir=runs"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("train.py: FileNotFoundError: imagenet2012: ")
    assert not (tmp_path / "runs").exists()


def test_smoke_runs_say_their_metrics_mean_nothing():
    cfg = config.make({"experiment": "x", "smoke": True, "train_examples": 500})
    line = smoke.note(cfg)
    assert line.startswith("smoke run: 3 steps on 8 generated images")  # the run's own, not the row's 500
    assert "evaluated on 4 generated images" in line and "say nothing about this configuration" in line
    evaluation_only = config.make({"experiment": "x", "smoke": True, "train_epochs": 0.0, "resizer": "learned",
                                   "resizer_input": 256, "init_backbone_from": "a", "init_resizer_from": "a"})
    assert smoke.note(evaluation_only).startswith("smoke run: no training (an evaluation-only row)")
    assert smoke.note(config.make({"experiment": "x"})) is None
