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

import json
import os
import socket
import time

import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

LOCK_NAME = ".lock"
_UNREADABLE_LOCK_GRACE_S = 30  # a lock file still empty after this long was left by a crash


class ModelDirLocked(RuntimeError):
    """Another live run holds the model directory."""


class RunLock:
    """An exclusive lock on a model directory: `<model_dir>/.lock`, created with O_EXCL and
    holding the owner's pid, host and start time.

    A lock left by a dead process on this host (SIGKILL, power loss) is stale and taken
    over; a lock of a live process, or of another host, raises ModelDirLocked naming the
    file, its owner and what to do.
    """

    def __init__(self, model_dir):
        self.model_dir = model_dir
        self.path = os.path.join(model_dir, LOCK_NAME)
        self.held = False
        self.created_dirs = []

    def acquire(self):
        self.created_dirs = _missing_dirs(self.model_dir)
        os.makedirs(self.model_dir, exist_ok=True)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._owner()
                if self._is_stale(owner):
                    self._remove_stale()
                    continue
                raise ModelDirLocked(self._message(owner)) from None
            with os.fdopen(fd, "w") as f:
                json.dump({"pid": os.getpid(), "host": socket.gethostname(),
                           "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, f)
            self.held = True
            return self
        raise ModelDirLocked(f"could not take the lock {self.path}: other runs keep racing for it")

    def release(self):
        if self.held and self._owner().get("pid") == os.getpid():
            try:
                os.remove(self.path)
            except FileNotFoundError:
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

    def _owner(self):
        try:
            with open(self.path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def _is_stale(self, owner):
        if not owner:  # being written right now, or left empty by a crash
            try:
                return time.time() - os.path.getmtime(self.path) > _UNREADABLE_LOCK_GRACE_S
            except FileNotFoundError:
                return True
        if owner.get("host") != socket.gethostname():
            return False  # cannot tell whether a process on another host lives
        return not _pid_alive(owner.get("pid"))

    def _remove_stale(self):
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass

    def _message(self, owner):
        who = (f"pid {owner.get('pid')} on {owner.get('host')}, started {owner.get('started')}" if owner
               else "a run that is starting")
        return (f"the model directory {self.model_dir} is in use by another run ({who}); lock file {self.path}. "
                "Two runs may not write one model directory: wait for that run, choose another --model_dir, "
                f"or, if that run is gone (e.g. it ran on another machine), delete {self.path}.")


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
    """The named parts of a model that other runs can start from."""
    named = {"backbone": model.get_layer("backbone"), "head": model.get_layer(model.head_name)}
    if any(layer.name == "learned_resizer" for layer in model.layers):
        named["resizer"] = model.get_layer("learned_resizer")
    return named


def make_checkpoint(model, optimizer=None, step=None):
    """tf.train.Checkpoint of a run: model, its named parts, and optimizer/step when given."""
    objects = {"model": model, **parts(model)}
    if optimizer is not None:
        objects["optimizer"] = optimizer
    if step is not None:
        objects["step"] = step
    return tf.train.Checkpoint(**objects)


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
