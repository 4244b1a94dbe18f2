"""A SIGTERM to one worker of a MultiWorkerMirroredStrategy run (two local worker processes,
TF_CONFIG): every worker saves one agreed step and exits 1 with one line; the same commands
resume from that step and finish where an uninterrupted run does."""

import json
import os
import re
import signal
import subprocess
import time

import numpy as np
import pytest
import tensorflow as tf

from test_training_runs import ROOT, fingerprint, free_port, tiny_flagfile, train_command

# 8 steps per epoch; checkpoints only at epoch ends, so that the preemption step is (almost
# always) one where the uninterrupted run does not save.
FLAGS = ("--strategy=multi_worker", "--train_steps=24", "--checkpoint_every_steps=1000", "--noeval_at_end")
PREEMPTED = re.compile(r"^train\.py: Preempted: SIGTERM to (this|another) worker of the 2-worker run: every worker "
                       r"saved step (\d+) \(the chief to (\S+)\) and stopped; run the same command on every worker "
                       r"to resume$", re.M)


def _start_workers(flagfile, model_dir):
    cluster = {"worker": [f"localhost:{free_port()}", f"localhost:{free_port()}"]}
    return [subprocess.Popen(train_command(flagfile, model_dir, *FLAGS), cwd=ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=dict(os.environ, TF_CONFIG=json.dumps(
                                 {"cluster": cluster, "task": {"type": "worker", "index": index}})))
            for index in range(2)]


def _finish(workers, timeout=150):
    try:
        return [w.communicate(timeout=timeout) for w in workers]
    finally:
        for w in workers:
            w.kill()


@pytest.mark.slow  # three two-worker runs (40-110 s on 2 shared cores, by their load)
def test_a_sigterm_to_one_worker_stops_both_at_one_saved_step_and_the_restart_resumes_there(tmp_path):
    flagfile = tiny_flagfile(tmp_path)
    model_dir = tmp_path / "run"
    workers = _start_workers(flagfile, model_dir)
    try:
        deadline = time.time() + 120
        while not (model_dir / "ckpt-8.index").exists():  # the first epoch is done: training is under way
            assert time.time() < deadline and all(w.poll() is None for w in workers), "no checkpoint"
            time.sleep(0.1)
        workers[1].send_signal(signal.SIGTERM)  # not the chief
    finally:
        outputs = _finish(workers)
    lines = []
    for w, (out, err), whom in zip(workers, outputs, ("another", "this")):
        assert w.returncode == 1, out[-2000:] + err[-3000:]
        match = PREEMPTED.search(err)
        assert match and match.group(1) == whom, err[-3000:]
        lines.append(match)
    saved = int(lines[0].group(2))
    assert int(lines[1].group(2)) == saved and 8 < saved < 24
    assert lines[0].group(3) == str(model_dir)
    assert tf.train.latest_checkpoint(str(model_dir)) == f"{model_dir}/ckpt-{saved}"
    assert not (model_dir / ".lock").exists()  # the chief released the model directory
    assert not any(p.name.startswith(".worker") for p in model_dir.iterdir())  # worker 1's copies removed

    outputs = _finish(_start_workers(flagfile, model_dir))
    for out, err in outputs:
        assert "weights sha256" in out, out[-2000:] + err[-3000:]
    assert f"resuming from {model_dir}/ckpt-{saved} (step {saved} of 24)" in outputs[0][0]
    (digest0, step0), (digest1, step1) = (fingerprint(out) for out, _ in outputs)
    assert step0 == step1 == 24 and digest0 == digest1

    reference_dir = tmp_path / "reference"
    reference = _finish(_start_workers(flagfile, reference_dir))
    reference_digest, _ = fingerprint(reference[0][0])
    resumed = tf.train.load_checkpoint(str(model_dir / "ckpt-24"))
    uninterrupted = tf.train.load_checkpoint(str(reference_dir / "ckpt-24"))
    statistics = 0
    for key in uninterrupted.get_variable_to_shape_map():
        if key.startswith(("_CHECKPOINTABLE_OBJECT_GRAPH", "save_counter", "checkpointed_runs")):
            continue  # bookkeeping: how many saves, and the handler's own count
        a, b = resumed.get_tensor(key), uninterrupted.get_tensor(key)
        if "/moving_mean/" in key or "/moving_variance/" in key:
            # The preemption save averages the replicas' batch-norm statistics at a step where
            # the uninterrupted run averages them only at its next checkpoint: equal in
            # exact arithmetic (the update is linear), not in float.
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8, err_msg=key)
            statistics += 1
        else:  # weights, optimizer slots, step: what training computes from the data
            np.testing.assert_array_equal(a, b, err_msg=key)
    assert statistics
    if saved % 8 == 0:  # preempted at a step where both runs average: nothing differs
        assert digest0 == reference_digest
