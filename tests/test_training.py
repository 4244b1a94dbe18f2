"""resizer.training pieces: the schedule, the model-directory lock, checkpoint parts, fingerprints."""

import json
import os
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from resizer.models import build
from resizer.training import checkpoints, schedule
from resizer.training.loop import weights_fingerprint
from resizer.training.optim import is_decayed as _is_decayed


def test_plan_counts_steps_in_global_batches():
    plan = schedule.plan(1_281_167, 48, epochs=10)
    assert plan.steps_per_epoch == 26_690 and plan.total_steps == 266_900  # whole batches per epoch
    assert plan.decay_steps == 53_381  # slim: int(1281167 / 48 * 2.0) = int(53381.96); not rounded up
    assert plan.epoch_of(26_689) == 0 and plan.epoch_of(26_690) == 1
    assert plan.epoch_end(30_000) == 2 * 26_690 and plan.epoch_end(266_899) == 266_900
    assert schedule.plan(100, 10, epochs=2.5).total_steps == 25
    assert schedule.plan(100, 10, epochs=2.5, steps=7).total_steps == 7
    with pytest.raises(ValueError, match="--batch_size=128 is larger than the 100 training examples"):
        schedule.plan(100, 128, epochs=1)


def test_learning_rate_is_staircase_094_every_two_epochs():
    plan = schedule.plan(1000, 10, epochs=10)  # 100 steps per epoch, decay every 200 steps
    keras_schedule = schedule.learning_rate(0.05, plan.decay_steps, 0.94)
    for step, expected in ((0, 0.05), (199, 0.05), (200, 0.05 * 0.94), (399, 0.05 * 0.94), (1000, 0.05 * 0.94 ** 5)):
        assert float(keras_schedule(step)) == pytest.approx(expected, rel=1e-6)
        assert schedule.learning_rate_at(step, 0.05, plan.decay_steps, 0.94) == pytest.approx(expected, rel=1e-12)


def test_lock_is_exclusive_and_names_its_file(tmp_path):
    with checkpoints.RunLock(str(tmp_path)) as lock:
        owner = json.loads((tmp_path / ".lock").read_text())
        assert owner["pid"] == os.getpid() and owner["host"] == socket.gethostname()
        with pytest.raises(checkpoints.ModelDirLocked, match=f"lock file {tmp_path}/.lock"):
            checkpoints.RunLock(str(tmp_path)).acquire()
        assert lock.held
    assert not (tmp_path / ".lock").exists()


def test_lock_of_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / ".lock").write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "started": "x"}))
    with checkpoints.RunLock(str(tmp_path)):
        assert json.loads((tmp_path / ".lock").read_text())["pid"] == os.getpid()


def test_lock_of_another_host_is_not_taken_over(tmp_path):
    (tmp_path / ".lock").write_text(json.dumps({"pid": 1, "host": "elsewhere", "started": "x"}))
    with pytest.raises(checkpoints.ModelDirLocked, match="pid 1 on elsewhere"):
        checkpoints.RunLock(str(tmp_path)).acquire()


def test_empty_lock_is_stale_only_when_old(tmp_path):
    lock = tmp_path / ".lock"
    lock.write_text("")
    with pytest.raises(checkpoints.ModelDirLocked):
        checkpoints.RunLock(str(tmp_path)).acquire()
    old = time.time() - 120
    os.utime(lock, (old, old))
    with checkpoints.RunLock(str(tmp_path)):
        assert json.loads(lock.read_text())["pid"] == os.getpid()


def _tiny(task="classification", resizer="learned", backbone="tiny_cnn", seed=0):
    keras.utils.set_random_seed(seed)
    kwargs = dict(num_classes=4) if task == "classification" else {}
    return build(task, backbone, resizer, input_size=32 if resizer == "learned" else 16, output_size=16, **kwargs)


def _weights(layer):
    return [w.numpy() for w in layer.weights]


def test_parts_move_between_models_and_heads_only_when_they_fit(tmp_path):
    source = _tiny(seed=1)
    optimizer = keras.optimizers.SGD(0.1, momentum=0.9)
    optimizer.build(source.trainable_variables)  # it holds the variables too, as in a training checkpoint
    path = checkpoints.make_checkpoint(source, optimizer).save(str(tmp_path / "ckpt"))
    iqa = _tiny(task="iqa", resizer="bilinear", seed=2)
    checkpoints.restore_part(path, "backbone", iqa.get_layer("backbone"))
    for a, b in zip(_weights(iqa.get_layer("backbone")), _weights(source.get_layer("backbone"))):
        np.testing.assert_array_equal(a, b)
    head_before = _weights(iqa.get_layer("scores"))
    assert not checkpoints.restore_part(path, "head", iqa.get_layer("scores"), required=False)  # 10 vs 4 outputs
    np.testing.assert_array_equal(_weights(iqa.get_layer("scores"))[0], head_before[0])

    other = _tiny(seed=3)
    checkpoints.restore_part(path, "resizer", other.get_layer("learned_resizer"))
    for a, b in zip(_weights(other.get_layer("learned_resizer")), _weights(source.get_layer("learned_resizer"))):
        np.testing.assert_array_equal(a, b)
    assert len(other.get_layer("learned_resizer").weights) > 20  # the residual block's variables too
    with pytest.raises(ValueError, match="has no resizer"):
        checkpoints.restore_part(checkpoints.make_checkpoint(iqa).save(str(tmp_path / "iqa")), "resizer",
                                 other.get_layer("learned_resizer"))


def test_resolve_explains_what_to_train_first(tmp_path):
    with pytest.raises(FileNotFoundError, match="scripts/train.py --flagfile=configs/table4/resnet50/bilinear_224"):
        checkpoints.resolve("table4/resnet50/bilinear_224", str(tmp_path), "init_backbone_from")
    with pytest.raises(FileNotFoundError, match="--init_resizer_from=nowhere: not a checkpoint"):
        checkpoints.resolve("nowhere", str(tmp_path), "init_resizer_from")
    path = checkpoints.make_checkpoint(_tiny()).save(str(tmp_path / "run" / "ckpt"))
    assert checkpoints.resolve(str(tmp_path / "run"), str(tmp_path), "checkpoint") == path
    assert checkpoints.resolve(path, str(tmp_path), "checkpoint") == path


def test_fingerprint_sees_every_weight_and_weight_decay_only_kernels():
    model = _tiny()
    before = weights_fingerprint(model)
    assert weights_fingerprint(model) == before
    bn = model.get_layer("learned_resizer").bn_in
    bn.moving_mean.assign(bn.moving_mean + 1e-3)  # a non-trainable statistic counts too
    assert weights_fingerprint(model) != before
    decayed = {v.path for v in model.trainable_variables if _is_decayed(v)}
    assert "logits/kernel" in decayed and "learned_resizer/conv_in_7x7/kernel" in decayed
    assert not any(p.endswith(("bias", "gamma", "beta")) for p in decayed)


def test_a_restart_with_other_run_defining_flags_is_refused(tmp_path):
    from resizer import config
    from resizer.training import report

    cfg = config.make({"experiment": "x", "backbone": "tiny_cnn", "output": 16, "batch_size": 8})
    report.check_same_run(str(tmp_path), cfg)  # nothing there yet
    report.write_run_files(str(tmp_path), cfg)
    report.check_same_run(str(tmp_path), config.make({**json.loads((tmp_path / "config.json").read_text()),
                                                      "log_every_steps": 7, "train_epochs": 20.0}))
    with pytest.raises(ValueError, match=r"--batch_size=16 \(the run has 8\)"):
        report.check_same_run(str(tmp_path), config.make({"experiment": "x", "backbone": "tiny_cnn", "output": 16,
                                                          "batch_size": 16}))
    flags_txt = (tmp_path / "flags.txt").read_text()
    assert "--batch_size=8\n" in flags_txt and "--deterministic=false\n" in flags_txt


def test_plan_round_trips_through_the_model_directory(tmp_path):
    from resizer.training import report

    plan = schedule.plan(1000, 10, epochs=3)
    report.write_plan(str(tmp_path), plan)
    assert report.read_plan(str(tmp_path)) == plan
    assert report.read_plan(str(tmp_path / "missing")) is None
