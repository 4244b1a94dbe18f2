"""scripts/train.py and scripts/eval.py on damaged or mismatched model directories: a restart
falls back to the newest intact checkpoint and still ends bit-identical, refuses (rc 1, one
line, nothing changed) when none is intact or when run-defining flags differ, also with
config.json gone; eval.py refuses a checkpoint of another configuration."""

import json
import os
import re
import socket
import shutil
import signal
import subprocess

import pytest

from test_training_runs import ROOT, fingerprint, free_port, run_train, tiny_flagfile, train_command

ARGS = ("--train_steps=10", "--checkpoint_every_steps=5", "--noeval_at_end")  # keeps ckpt-5, 8, 10


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(flag file, model directory, (sha256, step)) of an uninterrupted 10-step run."""
    tmp = tmp_path_factory.mktemp("trained")
    flagfile = tiny_flagfile(tmp)
    proc = run_train(flagfile, tmp / "run", *ARGS)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return flagfile, tmp / "run", fingerprint(proc.stdout)


def _copy(trained, tmp_path):
    model_dir = tmp_path / "run"
    shutil.copytree(trained[1], model_dir)
    return model_dir


def _one_line_error(proc):
    lines = [line for line in proc.stderr.splitlines() if line.startswith(("train.py:", "eval.py:"))]
    assert proc.returncode == 1 and len(lines) == 1, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return lines[0]


def test_garbage_state_file_and_damaged_newest_checkpoint_resume_from_the_intact_one(trained, tmp_path):
    flagfile, _, reference = trained
    model_dir = _copy(trained, tmp_path)
    (model_dir / "checkpoint").write_bytes(b"\x00\xff not a state file")
    data = model_dir / "ckpt-10.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:1000])
    proc = run_train(flagfile, model_dir, *ARGS)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "damaged checkpoint ckpt-10 (" in proc.stdout, proc.stdout[-2000:]
    assert re.search(r"resuming from \S+/ckpt-8 \(step 8 of 10\)", proc.stdout), proc.stdout[-2000:]
    assert fingerprint(proc.stdout) == reference  # trained steps 9 and 10 again, to the same weights


def test_no_intact_checkpoint_is_refused_and_nothing_is_rotated_away(trained, tmp_path):
    flagfile = trained[0]
    model_dir = _copy(trained, tmp_path)
    for index in model_dir.glob("ckpt-*.index"):
        index.write_bytes(b"garbage")
    before = sorted((p.name, p.read_bytes()) for p in model_dir.iterdir() if p.is_file() and p.name != ".lock")
    line = _one_line_error(run_train(flagfile, model_dir, *ARGS))
    assert "none can be read" in line and "ckpt-10 (" in line and "ckpt-5 (" in line and "start over" in line
    assert sorted((p.name, p.read_bytes()) for p in model_dir.iterdir() if p.is_file()) == before


@pytest.mark.parametrize("config_json", [None, "{ not json"], ids=["missing", "invalid"])
def test_other_run_defining_flags_are_refused_without_a_valid_config_json(trained, tmp_path, config_json):
    flagfile = trained[0]
    model_dir = _copy(trained, tmp_path)
    if config_json is None:
        (model_dir / "config.json").unlink()
    else:
        (model_dir / "config.json").write_text(config_json)
    line = _one_line_error(run_train(flagfile, model_dir, *ARGS, "--batch_size=16"))
    assert "--batch_size=16 (the run has 8)" in line
    assert (model_dir / "config.json").exists() == (config_json is not None)  # not rewritten as if it had them
    assert "--batch_size=8\n" in (model_dir / "flags.txt").read_text()


def test_eval_refuses_a_checkpoint_of_another_configuration(trained, tmp_path):
    flagfile = trained[0]
    command = train_command(flagfile, tmp_path / "bilinear", "--resizer=bilinear", "--resizer_input=16",
                            f"--checkpoint={trained[1]}")
    command[1] = os.path.join(ROOT, "scripts", "eval.py")
    line = _one_line_error(subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240))
    assert "--resizer=bilinear (the run has learned)" in line, line
    assert not (tmp_path / "bilinear").exists()  # a refused evaluation writes nothing (model.json neither)


def test_sigterm_during_the_final_evaluation_exits_1_with_a_message_and_releases_the_lock(tmp_path):
    flagfile = tiny_flagfile(tmp_path)
    model_dir = tmp_path / "run"
    proc = subprocess.Popen(train_command(flagfile, model_dir, "--train_steps=2", "--eval_examples=4000"), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if "weights sha256" in line:  # printed as training ends, just before the evaluation
            proc.send_signal(signal.SIGTERM)
            break
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 1, (proc.returncode, err[-3000:])
    assert "train.py: Terminated: SIGTERM during setup or the final evaluation" in err, err[-3000:]
    assert "Traceback" not in err
    assert not (model_dir / ".lock").exists() and not (model_dir / "results.json").exists()
    assert (model_dir / "ckpt-2.index").exists()  # the trained steps are kept: a restart only evaluates


@pytest.mark.slow  # two worker processes (~30 s on 2 shared cores)
@pytest.mark.parametrize("script, args", [("train.py", ("--train_steps=4",)),
                                          ("eval.py", ("--train_steps=0", "--train_epochs=0"))])
def test_a_setup_failure_on_the_chief_stops_every_worker_with_its_reason(tmp_path, script, args):
    flagfile = tiny_flagfile(tmp_path)
    model_dir = tmp_path / "run"
    model_dir.mkdir()
    (model_dir / ".lock").write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": "now"}))
    cluster = {"worker": [f"localhost:{free_port()}", f"localhost:{free_port()}"]}
    workers = []
    for index in range(2):
        env = dict(os.environ, TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        command = train_command(flagfile, model_dir, "--strategy=multi_worker", *args)
        command[1] = os.path.join(ROOT, "scripts", script)
        workers.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True))
    try:
        outputs = [w.communicate(timeout=180) for w in workers]
    finally:
        for w in workers:
            w.kill()
    chief, other = (_one_line_error(subprocess.CompletedProcess(w.args, w.returncode, out, err))
                    for w, (out, err) in zip(workers, outputs))
    assert "ModelDirLocked" in chief and "in use by another run" in chief
    assert "SetupFailedElsewhere: setup failed on worker 0 (the chief): ModelDirLocked:" in other, other
    assert "in use by another run" in other
