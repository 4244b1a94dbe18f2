"""MultiWorkerMirroredStrategy on the CPU: two worker processes on localhost (TF_CONFIG) train a
tiny model on generated data and finish with identical weights; the chief writes results.json."""

import json
import os
import subprocess

import pytest

from resizer import results
from test_training_runs import ROOT, fingerprint, free_port, tiny_flagfile, train_command


@pytest.mark.slow
def test_two_workers_end_with_identical_weights(tmp_path):
    flagfile = tiny_flagfile(tmp_path)
    model_dir = tmp_path / "run"
    cluster = {"worker": [f"localhost:{free_port()}", f"localhost:{free_port()}"]}
    workers = []
    for index in range(2):
        env = dict(os.environ, TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        workers.append(subprocess.Popen(
            train_command(flagfile, model_dir, "--strategy=multi_worker", "--train_steps=10",
                          "--checkpoint_every_steps=4"),
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [w.communicate(timeout=240)[0] for w in workers]
    for w, out in zip(workers, outputs):
        assert w.returncode == 0, out[-3000:]
    (digest0, step0), (digest1, step1) = map(fingerprint, outputs)
    assert step0 == step1 == 10
    assert digest0 == digest1
    assert "global batch 8 on 2 replica(s)" in outputs[0]
    written = results.read(str(model_dir / "results.json"))
    assert written["hardware"].startswith("2 workers x ") and written["training"]["steps"] == 10
    assert not any(p.name.startswith(".worker") for p in model_dir.iterdir())  # worker 1's copies removed
