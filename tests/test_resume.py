"""A run killed with SIGKILL mid-epoch and restarted with the same command resumes from its
last checkpoint and ends at the same step with the same weights as an uninterrupted run; one
stopped by SIGTERM saves the step it was on and resumes from there, to the same weights."""

import re
import signal
import subprocess

import pytest

from test_training_runs import ROOT, fingerprint, run_train, tiny_flagfile, train_command

STEPS = "--train_steps=40"          # 8 steps per epoch: 5 epochs
CHECKPOINTS = "--checkpoint_every_steps=5"  # 5, 8, 10, 15, 16, ...: most are mid-epoch


ARGS = (STEPS, CHECKPOINTS, "--noeval_at_end")


def _signal_at_step_11(flagfile, victim_dir, reference_dir, signum):
    """Starts the run to interrupt and an uninterrupted reference alongside (deterministic mode: the
    shared load does not matter), and sends `signum` to the first when it logs step 11 (epoch 1
    runs steps 8..15; the last checkpoint then is step 10). Returns (victim, reference, its lines)."""
    victim = subprocess.Popen(train_command(flagfile, victim_dir, *ARGS), cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    reference = subprocess.Popen(train_command(flagfile, reference_dir, *ARGS), cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in victim.stdout:
        seen.append(line)
        if line.startswith("step 11/"):
            victim.send_signal(signum)
            break
    return victim, reference, seen


@pytest.mark.slow
def test_sigkill_mid_epoch_then_restart_ends_bit_identical(tmp_path):
    flagfile = tiny_flagfile(tmp_path)
    killed_dir = tmp_path / "killed"
    victim, reference, seen = _signal_at_step_11(flagfile, killed_dir, tmp_path / "reference", signal.SIGKILL)
    victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL, "".join(seen)[-2000:]
    assert (killed_dir / ".lock").exists()  # a SIGKILLed run cannot clean up: the restart must take it over

    restarted = run_train(flagfile, killed_dir, *ARGS)
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    resumed = re.search(r"resuming from \S+/ckpt-(\d+) \(step (\d+) of 40\)", restarted.stdout)
    assert resumed, restarted.stdout[-2000:]
    step = int(resumed.group(2))
    assert 0 < step < 40 and step % 8 != 0, f"resumed at step {step}: expected a mid-epoch checkpoint"

    out, _ = reference.communicate(timeout=240)
    assert reference.returncode == 0, out[-3000:]
    assert fingerprint(restarted.stdout) == fingerprint(out)
    assert fingerprint(out)[1] == 40


@pytest.mark.slow
def test_sigterm_mid_epoch_saves_that_step_and_the_restart_ends_bit_identical(tmp_path):
    flagfile = tiny_flagfile(tmp_path)
    stopped_dir = tmp_path / "stopped"
    victim, reference, _ = _signal_at_step_11(flagfile, stopped_dir, tmp_path / "reference", signal.SIGTERM)
    _, err = victim.communicate(timeout=60)
    assert victim.returncode == 1, err[-3000:]
    saved = re.search(r"^train\.py: Preempted: SIGTERM: saved step (\d+) to (\S+); run the same command to resume$",
                      err, re.M)
    assert saved and saved.group(2) == str(stopped_dir), err[-3000:]
    step = int(saved.group(1))
    assert 11 <= step < 40
    assert not (stopped_dir / ".lock").exists()

    restarted = run_train(flagfile, stopped_dir, *ARGS)
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    assert f"resuming from {stopped_dir}/ckpt-{step} (step {step} of 40)" in restarted.stdout
    out, _ = reference.communicate(timeout=240)
    assert reference.returncode == 0, out[-3000:]
    assert fingerprint(restarted.stdout) == fingerprint(out)
