"""Bad flags found at setup name the flag: a negative --seed, a misspelt split, --strategy=tpu
where no TPU is."""

import os
import subprocess

import pytest

from test_training_runs import ROOT, tiny_flagfile, train_command

from resizer import config
from resizer.training import runtime


def test_a_negative_seed_names_the_flag():
    with pytest.raises(ValueError, match=r"--seed: must be in \[0, 2\*\*32\), got -1"):
        config.make({"experiment": "x", "backbone": "tiny_cnn", "output": 16, "seed": -1})


def test_tpu_strategy_without_a_tpu_names_the_flag():
    with pytest.raises(ValueError, match=r"--strategy=tpu: cannot reach a TPU \(no --tpu given.*Pass --tpu="):
        runtime.make_strategy("tpu", "")


@pytest.mark.parametrize("script", ["train.py", "eval.py"])
def test_a_misspelt_eval_split_is_refused_before_any_work(tmp_path, script):
    model_dir = tmp_path / "run"
    command = train_command(tiny_flagfile(tmp_path), model_dir, "--train_steps=2", "--eval_split=tset")
    command[1] = os.path.join(ROOT, "scripts", script)
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    # absl shows the flags' usage first; the error is the last line.
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("--eval_split=tset: synthetic has no split 'tset'; expected one of "), last
    assert not model_dir.exists()
