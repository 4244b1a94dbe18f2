"""Checkpoints of a run, the model directory's lock, and starting a model from other runs.

Writes are atomic: `tf.train.CheckpointManager.save` writes the variables under
`ckpt-N_temp/`, merges them into `ckpt-N.index` / `ckpt-N.data-*`, and only then rewrites
the `checkpoint` state file (temp file + rename). A run killed at any moment leaves
`tf.train.latest_checkpoint` pointing at a complete checkpoint.

A checkpoint holds the whole model, the optimizer (momentum slots and its iteration count,
which drives the learning-rate schedule) and the step counter. Its object graph also names
three parts, so that another run can start from one of them:
`backbone` (the nested backbone model), `head` (the logits / scores layer) and `resizer`
(the learned resizer, when the model has one).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import time
import uuid

import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from resizer.files import is_remote

LOCK_NAME = ".lock"
# The run-defining settings (JSON) travel in every training checkpoint (resizer.training.resume).
SETTINGS_KEY = "run_settings"
SETTINGS_TENSOR = SETTINGS_KEY + "/.ATTRIBUTES/VARIABLE_VALUE"
_RESTORED = ("model", "backbone", "head", "resizer", "optimizer", "step")
_UNREADABLE_LOCK_GRACE_S = 30  # a lock file still empty after this long was left by a crash
_REMOTE_SETTLE_S = 1.0  # gfile stores: how long a writer waits before reading its lock back


class ModelDirLocked(RuntimeError):
    """Another live run holds the model directory."""


class RunLock:
    """An exclusive lock on a model directory: `<model_dir>/.lock`, holding the owner's pid,
    host, start time and a unique token.

    Taking it is atomic and never leaves an empty lock: the owner's record is written to a
    file of its own, then hard-linked to `.lock` (link fails if `.lock` exists; where the
    filesystem has no hard links, O_EXCL create). A lock left by a dead process on this host
    (SIGKILL, power loss) is stale and taken over; the takeover re-reads the lock under an
    flock on `.lock.takeover`, so of several processes that find the same stale lock only
    one removes it and the others then meet the winner's live lock. A lock of a live
    process, or of another host, raises ModelDirLocked naming the file, its owner and what
    to do.

    On a store without POSIX files (`gs://`, `ram://`: tf.io.gfile paths) the lock is best
    effort: the record is written unless one exists, then read back after a pause, and the
    run proceeds only if its own token is there (two runs that start within that pause can
    still both proceed; such a store has no exclusive create).
    """

    def __init__(self, model_dir):
        self.model_dir = model_dir
        self.path = f"{model_dir.rstrip('/')}/{LOCK_NAME}"
        self.held = False
        self.token = uuid.uuid4().hex
        self.remote = is_remote(model_dir)

        self.created_dirs = []

    def acquire(self):
        self.created_dirs = [] if self.remote else _missing_dirs(self.model_dir)
        self._check_paths()
        for _ in range(3):
            if self._create():
                self.held = True
                return self
            raw = self._raw()
            if raw is None:
                continue  # released meanwhile
            owner = _parse(raw)
            if self._is_stale(owner):
                self._take_over(raw)
                continue
            raise ModelDirLocked(self._message(owner))
        raise ModelDirLocked(f"could not take the lock {self.path}: other runs keep racing for it")

    def release(self):
        if self.held and _parse(self._raw() or "").get("token") == self.token:
            try:
                tf.io.gfile.remove(self.path) if self.remote else os.remove(self.path)
            except (FileNotFoundError, tf.errors.NotFoundError):
                pass
            for directory in self.created_dirs:  # a run that failed before writing leaves no empty folders
                try:
                    os.rmdir(directory)
                except OSError:  # not empty: the run's files stay
                    break
        self.held = False

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()

    def _record(self):
        return json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "token": self.token,
                           "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})

    def _check_paths(self):
        if tf.io.gfile.exists(self.model_dir) and not tf.io.gfile.isdir(self.model_dir):
            raise ValueError(f"--model_dir={self.model_dir} is a file, not a directory: choose another --model_dir "
                             "or move the file away")
        if tf.io.gfile.isdir(self.path):
            raise ValueError(f"{self.path} is a folder, where the model directory's lock file belongs: remove it "
                             f"(rmdir {self.path}) and start again")
        tf.io.gfile.makedirs(self.model_dir)

    def _create(self):
        """True when this process now holds the lock; False when a lock file exists."""
        if self.remote:
            return self._create_remote()
        tmp = f"{self.path}.{self.token}.tmp"
        try:
            with open(tmp, "x") as f:
                f.write(self._record())
            try:
                os.link(tmp, self.path)
                return True
            except FileExistsError:
                return False
            except OSError as e:
                if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                    raise
            try:  # no hard links here: exclusive create (an empty file for a moment)
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                return False
            try:
                with os.fdopen(fd, "w") as f:
                    f.write(self._record())
            except OSError:
                os.remove(self.path)
                raise
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)

    def _create_remote(self):
        if tf.io.gfile.exists(self.path):
            return False
        with tf.io.gfile.GFile(self.path, "w") as f:
            f.write(self._record())
        time.sleep(_REMOTE_SETTLE_S)
        if _parse(self._raw() or "").get("token") == self.token:
            return True
        return False

    def _raw(self):
        """The lock file's text, or None when there is none."""
        try:
            with tf.io.gfile.GFile(self.path, "r") as f:
                return f.read()
        except (tf.errors.NotFoundError, FileNotFoundError):
            return None
        except (tf.errors.OpError, OSError, UnicodeDecodeError):
            return ""

    def _is_stale(self, owner):
        if not owner:  # being written right now (O_EXCL fallback), or left empty by a crash
            try:
                return time.time() - tf.io.gfile.stat(self.path).mtime_nsec / 1e9 > _UNREADABLE_LOCK_GRACE_S
            except tf.errors.NotFoundError:
                return True
        if owner.get("host") != socket.gethostname():
            return False  # cannot tell whether a process on another host lives
        return not _pid_alive(owner.get("pid"))

    def _take_over(self, judged):
        """Removes the stale lock `judged` (its text) unless another process did first."""
        if self.remote:
            if self._raw() == judged:
                with contextlib.suppress(tf.errors.NotFoundError):
                    tf.io.gfile.remove(self.path)
            return
        with open(self.path + ".takeover", "a") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            try:
                raw = self._raw()
                if raw == judged and self._is_stale(_parse(raw)):
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(self.path)
            finally:
                fcntl.flock(guard, fcntl.LOCK_UN)

    def _message(self, owner):
        who = (f"pid {owner.get('pid')} on {owner.get('host')}, started {owner.get('started')}" if owner
               else "a run that is starting")
        return (f"the model directory {self.model_dir} is in use by another run ({who}); lock file {self.path}. "
                "Two runs may not write one model directory: wait for that run, choose another --model_dir, "
                f"or, if that run is gone (e.g. it ran on another machine), delete {self.path}.")


def _parse(raw):
    try:
        owner = json.loads(raw)
    except ValueError:
        return {}
    return owner if isinstance(owner, dict) else {}


def _missing_dirs(path):
    """The folders that os.makedirs(path) would create, innermost first."""
    missing = []
    path = os.path.abspath(path)
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        missing.append(path)
        path = os.path.dirname(path)
    return missing


def _pid_alive(pid):
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def parts(model):
    """The named parts of a model that other runs can start from (resizer.models.parts, without
    the resizer of a model that has no trained one)."""
    from resizer.models import parts as model_parts

    return {name: layer for name, layer in model_parts(model).items() if layer is not None}


def make_checkpoint(model, optimizer=None, step=None, settings=None):
    """tf.train.Checkpoint of a run: model, its named parts, and optimizer/step when given.

    `settings` (a JSON string, resume.settings_json) is stored as a string variable so that
    a restart can check them without config.json.
    """
    objects = {"model": model, **parts(model)}
    if optimizer is not None:
        objects["optimizer"] = optimizer
    if step is not None:
        objects["step"] = step
    if settings is not None:
        objects[SETTINGS_KEY] = tf.Variable(settings, trainable=False, dtype=tf.string, name=SETTINGS_KEY)
    return tf.train.Checkpoint(**objects)


def reader(prefix):
    """A CheckpointReader of `prefix` (tf.train.load_checkpoint would first ask whether the
    prefix is a directory, which ram:// answers yes for any prefix of a file name)."""
    return tf.compat.v1.train.NewCheckpointReader(prefix)


def restore(checkpoint, path):
    """Restores a whole training checkpoint (every object must match), also one written
    before checkpoints carried their settings."""
    if hasattr(checkpoint, SETTINGS_KEY) and not reader(path).has_tensor(SETTINGS_TENSOR):
        checkpoint = tf.train.Checkpoint(**{k: getattr(checkpoint, k) for k in _RESTORED if hasattr(checkpoint, k)})
    checkpoint.read(path).assert_existing_objects_matched()


def resolve(value, runs_dir, flag):
    """The checkpoint prefix named by an --init_* or --checkpoint value.

    `value` is a checkpoint prefix (`.../ckpt-12`), a directory holding checkpoints, or an
    experiment name (resolved to `<runs_dir>/<name>`). Raises FileNotFoundError saying which
    run to train first.
    """
    if tf.io.gfile.exists(value + ".index"):
        return value
    if tf.io.gfile.isdir(value):
        latest = tf.train.latest_checkpoint(value)
        if latest is None:
            raise FileNotFoundError(f"--{flag}={value}: the directory holds no checkpoint yet")
        return latest
    from resizer import experiments

    if value in experiments.EXPERIMENTS:
        directory = experiments.get(value).model_dir(runs_dir)
        latest = tf.train.latest_checkpoint(directory) if tf.io.gfile.isdir(directory) else None
        if latest is None:
            raise FileNotFoundError(
                f"--{flag}={value}: no checkpoint in {directory}; train that experiment first: "
                f"python scripts/train.py --flagfile={experiments.get(value).flagfile}")
        return latest
    raise FileNotFoundError(f"--{flag}={value}: not a checkpoint (no {value}.index), a directory, or an "
                            "experiment name of resizer.experiments")


def _saved_shapes(reader, key):
    """Shapes of the variables under the root's child `key`, found through the checkpoint's
    object graph (a variable's key names only one of its paths, e.g. the optimizer's)."""
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    start = [c.node_id for c in graph.nodes[0].children if c.local_name == key]
    shapes, seen, queue = reader.get_variable_to_shape_map(), set(start), list(start)
    found = []
    while queue:
        node = graph.nodes[queue.pop()]
        found += [tuple(shapes[a.checkpoint_key]) for a in node.attributes if a.name == "VARIABLE_VALUE"]
        for child in node.children:
            if child.node_id not in seen:
                seen.add(child.node_id)
                queue.append(child.node_id)
    return sorted(found)


def restore_part(path, key, layer, required=True):
    """Restores one named part (backbone, head, resizer) of a checkpoint into `layer`.

    Returns True when restored; when the saved part's variables have other shapes (a head
    with another number of classes) returns False if not `required`, else ValueError.
    """
    reader = tf.train.load_checkpoint(path)
    saved = _saved_shapes(reader, key)
    mine = sorted(tuple(w.shape) for w in layer.weights)
    if saved != mine:
        if not saved and required:
            raise ValueError(f"{path} has no {key}: it was not written by this project's training, "
                             f"or its model has no {key}")
        if required:
            raise ValueError(f"{path}: its {key} does not fit this model ({len(saved)} variables vs "
                             f"{len(mine)}, or other shapes): was it trained with another backbone?")
        return False
    status = tf.train.Checkpoint(**{key: layer}).read(path)
    status.expect_partial().assert_existing_objects_matched()
    return True
