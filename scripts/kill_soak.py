"""Kill soak: SIGKILLs a tiny deterministic training run at random moments, restarts it with
the same command, and counts how many restarts end with exactly the weights of an
uninterrupted run (sha256 of every variable, as train.py prints it).

    python scripts/kill_soak.py                  # 20 kills of the demo's tiny_cnn, 24 steps
    python scripts/kill_soak.py --kills=5 --seed=3

Each trial trains in a fresh directory, is killed once at a random moment (after a random
step line appears, plus a random delay, so kills also land inside checkpoint saves), then
runs to the end. Prints one line per trial and the count. Not a test: it takes minutes.
"""

import _bootstrap

import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

from absl import app, flags

flags.DEFINE_integer("kills", 20, "Number of trials (one SIGKILL each).")
flags.DEFINE_integer("seed", 0, "Seed of the kill moments.")
flags.DEFINE_integer("steps", 24, "Training steps of the tiny run.")
flags.DEFINE_integer("checkpoint_every_steps", 3, "Checkpoint interval of the tiny run.")
flags.DEFINE_string("flagfile_of_run", "configs/demo/tiny_cnn.flags", "Flag file of the run to kill.")
flags.DEFINE_string("work_dir", "", "Where the runs go (empty: a temporary folder, removed at the end).")
FLAGS = flags.FLAGS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The demo's tiny_cnn shrunk to seconds per run, with the learned resizer and --deterministic.
TINY = ("--resizer=learned", "--resizer_input=32", "--output=16", "--batch_size=8", "--train_examples=64",
        "--log_every_steps=1", "--deterministic", "--noeval_at_end", "--experiment=soak/tiny")
_SHA = re.compile(r"weights sha256 ([0-9a-f]{64}) at step (\d+)")


def command(model_dir):
    return [sys.executable, os.path.join(ROOT, "scripts", "train.py"), f"--flagfile={FLAGS.flagfile_of_run}",
            f"--model_dir={model_dir}", *TINY, f"--train_steps={FLAGS.steps}",
            f"--checkpoint_every_steps={FLAGS.checkpoint_every_steps}"]


def finish(model_dir):
    """(sha256, step, resumed step or None) of a run to its end; RuntimeError if it fails."""
    proc = subprocess.run(command(model_dir), cwd=ROOT, capture_output=True, text=True, timeout=600)
    match = _SHA.search(proc.stdout)
    if proc.returncode != 0 or not match:
        raise RuntimeError(f"rc {proc.returncode}: {(proc.stdout + proc.stderr)[-1500:]}")
    resumed = re.search(r"resuming from \S+ \(step (\d+) of", proc.stdout)
    return match.group(1), int(match.group(2)), int(resumed.group(1)) if resumed else None


def kill_at(model_dir, step, delay):
    """Starts a run and SIGKILLs it `delay` s after it prints step `step`: (the last line seen,
    whether the kill landed; False when the run never printed that step or had already exited,
    a trial that tests nothing)."""
    victim = subprocess.Popen(command(model_dir), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))  # lines as they happen
    last, reached = "", False
    for line in victim.stdout:
        last = line.strip() or last
        if line.startswith(f"step {step}/"):
            reached = True
            time.sleep(delay)
            break
    # A run whose output ended without the step can still be alive for a moment (exiting).
    landed = reached and victim.poll() is None
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    return last, landed


def main(argv):
    del argv
    rng = random.Random(FLAGS.seed)
    work = FLAGS.work_dir or tempfile.mkdtemp(prefix="kill_soak_")
    start = time.time()
    reference, steps, _ = finish(os.path.join(work, "reference"))
    print(f"uninterrupted: sha256 {reference[:16]}... at step {steps} ({time.time() - start:.0f} s)", flush=True)
    identical = failed = missed = 0
    for trial in range(FLAGS.kills):
        model_dir = os.path.join(work, f"trial{trial:02d}")
        step, delay = rng.randint(1, FLAGS.steps - 1), rng.uniform(0.0, 0.5)  # before the end: a kill to test
        seen, landed = kill_at(model_dir, step, delay)
        if not landed:
            missed += 1
            print(f"trial {trial}: the run never printed step {step} or had exited before the kill ({delay:.2f} s "
                  f"after it; last line: {seen[:40]!r}): not counted", flush=True)
            continue
        try:
            digest, end, resumed = finish(model_dir)
        except RuntimeError as e:
            failed += 1
            print(f"trial {trial}: killed {delay:.2f} s after step {step}: restart FAILED: {e}", flush=True)
            continue
        same = digest == reference and end == steps
        identical += same
        where = f"resumed at step {resumed}" if resumed is not None else "started over (no checkpoint yet)"
        print(f"trial {trial}: killed {delay:.2f} s after step {step} (last line: {seen[:40]!r}); {where}; "
              f"{'identical' if same else 'DIFFERENT'} weights at step {end}", flush=True)
    killed = FLAGS.kills - missed
    print(f"{identical} of {killed} killed runs resumed to weights identical to the uninterrupted run "
          f"({failed} restarts failed, {missed} trials not counted: the run exited first or never reached its step; "
          f"{time.time() - start:.0f} s)")
    if not FLAGS.work_dir:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0 if identical == killed and killed else 1


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
