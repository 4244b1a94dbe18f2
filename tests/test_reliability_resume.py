"""A restart never silently starts over or changes settings (resizer.training.resume): the
newest intact checkpoint is found on disk whatever the `checkpoint` state file says, a
damaged one is passed over with a warning naming it, none intact is refused with one line,
and the run-defining settings travel inside the checkpoint."""

import os
import shutil

import keras
import pytest
import tensorflow as tf

from resizer import config
from resizer.models import build
from resizer.training import checkpoints, resume

STEPS = (5, 8, 10)


def _cfg(**changes):
    return config.make({"experiment": "x", "backbone": "tiny_cnn", "output": 16, "batch_size": 8, **changes})


def _run_dir(tmp_path, cfg=None):
    """A model directory as training leaves it: ckpt-5, 8 and 10 with their settings."""
    keras.utils.set_random_seed(0)
    model = build("classification", "tiny_cnn", "bilinear", input_size=16, output_size=16, num_classes=4)
    step = tf.Variable(0, dtype=tf.int64)
    checkpoint = checkpoints.make_checkpoint(model, step=step, settings=resume.settings_json(cfg or _cfg()))
    manager = tf.train.CheckpointManager(checkpoint, str(tmp_path), max_to_keep=5)
    for n in STEPS:
        step.assign(n)
        manager.save(checkpoint_number=n)
    return str(tmp_path)


def _choose(model_dir, cfg=None):
    lines = []
    chosen = resume.choose(model_dir, cfg or _cfg(), lines.append)
    return chosen, lines


def _data(model_dir, n):
    return os.path.join(model_dir, f"ckpt-{n}.data-00000-of-00001")


def _truncate(path):
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


def _garble(path):
    with open(path, "r+b") as f:
        f.seek(os.path.getsize(path) // 3)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))


@pytest.mark.parametrize("content", [b"\x00\xff garbage \x9c", b'model_checkpoint_path: "ckpt-99"\n'])
def test_a_damaged_state_file_resumes_from_the_newest_checkpoint_on_disk(tmp_path, content):
    model_dir = _run_dir(tmp_path)
    with open(os.path.join(model_dir, "checkpoint"), "wb") as f:
        f.write(content)
    chosen, lines = _choose(model_dir)
    assert chosen == os.path.join(model_dir, "ckpt-10")
    assert lines == [f"the checkpoint state file of {model_dir} did not name ckpt-10: rewritten to, so that the run "
                     "continues (and rotates old checkpoints) from it"]  # not silently
    # The state file is rewritten: the manager of the restarted run continues from ckpt-10
    # (and rotates only what the run wrote, oldest first).
    assert tf.train.latest_checkpoint(model_dir) == chosen
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(), model_dir, max_to_keep=5)
    assert [p.rsplit("/", 1)[1] for p in manager.checkpoints] == ["ckpt-5", "ckpt-8", "ckpt-10"]


@pytest.mark.parametrize("damage, reason", [
    (lambda d: _truncate(_data(d, 10)), "read less bytes than requested"),
    (lambda d: _garble(_data(d, 10)), "checksum does not match"),
    (lambda d: _truncate(os.path.join(d, "ckpt-10.index")), "reading index: not an sstable"),
    (lambda d: _garble(os.path.join(d, "ckpt-10.index")), "reading index: unable to read file"),
    (lambda d: os.remove(_data(d, 10)), "no such file or directory"),
], ids=["truncated-data", "garbled-data", "truncated-index", "garbled-index", "missing-data"])
def test_a_damaged_newest_checkpoint_falls_back_to_the_newest_intact_one(tmp_path, damage, reason):
    model_dir = _run_dir(tmp_path)
    damage(model_dir)
    chosen, lines = _choose(model_dir)
    assert chosen == os.path.join(model_dir, "ckpt-8")
    assert len(lines) == 2 and "damaged checkpoint ckpt-10 (" in lines[0] and "resuming from" in lines[0], lines
    assert "state file" in lines[1] and "did not name ckpt-8: rewritten" in lines[1]  # the repair is said too
    assert reason in lines[0].lower()  # the reason, from TensorFlow's own reader
    assert tf.train.latest_checkpoint(model_dir) == chosen  # what the restarted manager continues from
    reader = tf.train.load_checkpoint(chosen)
    assert int(reader.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE")) == 8


def test_no_intact_checkpoint_is_refused_naming_each_and_changing_nothing(tmp_path):
    model_dir = _run_dir(tmp_path)
    for n in STEPS:
        _truncate(_data(model_dir, n))
    before = {name: os.path.getsize(os.path.join(model_dir, name)) for name in os.listdir(model_dir)}
    with pytest.raises(resume.NoIntactCheckpoint) as error:
        _choose(model_dir)
    message = str(error.value)
    assert "\n" not in message and "none can be read" in message
    assert all(f"ckpt-{n} (" in message for n in STEPS)
    assert "start over" in message and "--model_dir" in message
    assert {name: os.path.getsize(os.path.join(model_dir, name)) for name in os.listdir(model_dir)} == before


def test_unfinished_saves_are_removed(tmp_path):
    model_dir = _run_dir(tmp_path)
    os.makedirs(os.path.join(model_dir, "ckpt-15_temp", "part-00000-of-00001"))
    chosen, lines = _choose(model_dir)
    assert chosen.endswith("ckpt-10") and not os.path.exists(os.path.join(model_dir, "ckpt-15_temp"))
    assert any("ckpt-15_temp" in line for line in lines)


def test_settings_are_checked_from_the_checkpoint_without_config_json(tmp_path):
    model_dir = _run_dir(tmp_path)
    assert not os.path.exists(os.path.join(model_dir, "config.json"))
    with pytest.raises(ValueError, match=r"--batch_size=16 \(the run has 8\), --learning_rate=0.5 \(the run has"):
        _choose(model_dir, _cfg(batch_size=16, learning_rate=0.5))
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        f.write("{ not json")
    with pytest.raises(ValueError, match=r"--seed=3 \(the run has 0\)"):
        _choose(model_dir, _cfg(seed=3))
    assert _choose(model_dir, _cfg(log_every_steps=7, train_steps=99))[0].endswith("ckpt-10")  # not run-defining


def test_a_checkpoint_of_before_settings_were_stored_still_restores(tmp_path):
    keras.utils.set_random_seed(0)
    model = build("classification", "tiny_cnn", "bilinear", input_size=16, output_size=16, num_classes=4)
    old = checkpoints.make_checkpoint(model).save(str(tmp_path / "ckpt"))
    assert resume.stored_settings(old) is None
    checkpoints.restore(checkpoints.make_checkpoint(model, settings=resume.settings_json(_cfg())), old)
    resume.check_checkpoint_settings(old, _cfg(batch_size=16), "")  # nothing stored: nothing to compare


def test_other_workers_choose_the_same_checkpoint_without_touching_files(tmp_path):
    model_dir = _run_dir(tmp_path)
    _truncate(_data(model_dir, 10))
    shutil.copy(os.path.join(model_dir, "checkpoint"), tmp_path / "state")
    assert resume.choose(model_dir, _cfg(batch_size=16), lambda line: None, chief=False).endswith("ckpt-8")
    assert (tmp_path / "state").read_bytes() == open(os.path.join(model_dir, "checkpoint"), "rb").read()
