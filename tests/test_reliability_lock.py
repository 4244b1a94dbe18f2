"""RunLock under races and bad file systems: of two processes released together on one stale
lock exactly one takes it; a full disk is one clear error and leaves no empty lock; a model
directory that is a file and a lock that is a folder are one line each; on a tf.io.gfile
store (ram://) the lock is taken, refused while held, and released."""

import errno
import json
import multiprocessing
import os
import re
import socket
import subprocess
import sys

import pytest
import tensorflow as tf

from resizer.training import checkpoints, runtime

TRIALS = 100


def _contender(model_dir, barrier, results, trials):
    for _ in range(trials):
        barrier.wait()
        lock = checkpoints.RunLock(model_dir)
        try:
            lock.acquire()
        except checkpoints.ModelDirLocked:
            pass
        barrier.wait()  # the winner keeps its lock (and lives) until both have tried
        results.put(lock.held)
        barrier.wait()
        lock.release()
        barrier.wait()


def test_two_processes_on_one_stale_lock_never_both_take_it(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = json.dumps({"pid": dead.pid, "host": socket.gethostname(), "started": "x"})
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(3), context.Queue()
    workers = [context.Process(target=_contender, args=(str(tmp_path), barrier, results, TRIALS)) for _ in range(2)]
    for w in workers:
        w.start()
    winners = []
    try:
        for _ in range(TRIALS):
            (tmp_path / ".lock").write_text(stale)
            barrier.wait()  # both released together
            barrier.wait()
            barrier.wait()
            winners.append(results.get(timeout=30) + results.get(timeout=30))
            barrier.wait()
            assert not (tmp_path / ".lock").exists()
    finally:
        for w in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.kill()
    assert winners == [1] * TRIALS, f"{sum(n == 2 for n in winners)} of {TRIALS} trials had two owners"


def test_full_disk_is_one_clear_error_and_leaves_no_empty_lock(tmp_path, monkeypatch):
    real_open = open

    def full_disk_open(path, mode="r", *args, **kwargs):
        if str(path).startswith(str(tmp_path / ".lock")) and ("x" in mode or "w" in mode):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", full_disk_open)
    real_os_open = os.open
    monkeypatch.setattr(os, "open", lambda path, flags, *a: (_ for _ in ()).throw(
        OSError(errno.ENOSPC, "No space left on device")) if str(path).startswith(str(tmp_path)) else
        real_os_open(path, flags, *a))
    with pytest.raises(OSError) as error:
        checkpoints.RunLock(str(tmp_path)).acquire()
    assert re.fullmatch(r"no space left on the device writing \S+/\.lock\S*: free some space and run the same "
                        r"command again \(the last complete checkpoint is kept\)", runtime.describe_failure(error.value))
    monkeypatch.undo()
    assert not any(p.name.startswith(".lock") and p.name != ".lock.takeover" for p in tmp_path.iterdir())
    with checkpoints.RunLock(str(tmp_path)) as lock:  # the restart is not blocked
        assert lock.held


def test_model_dir_that_is_a_file_and_lock_that_is_a_folder_are_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=r"--model_dir=\S+/file is a file, not a directory"):
        checkpoints.RunLock(str(tmp_path / "file")).acquire()
    (tmp_path / "run" / ".lock").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"\.lock is a folder, where the model directory's lock file belongs"):
        checkpoints.RunLock(str(tmp_path / "run")).acquire()


def test_lock_on_a_gfile_store(tmp_path):
    model_dir = f"ram://{tmp_path}/run"
    with checkpoints.RunLock(model_dir) as lock:
        assert lock.held and tf.io.gfile.exists(model_dir + "/.lock")  # on the store, not a local ram:/ folder
        assert json.loads(tf.io.gfile.GFile(model_dir + "/.lock").read())["token"] == lock.token
        with pytest.raises(checkpoints.ModelDirLocked, match="in use by another run"):
            checkpoints.RunLock(model_dir).acquire()
    assert not tf.io.gfile.exists(model_dir + "/.lock")
