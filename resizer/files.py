"""Atomic file writes: readers see the old file or the new one, never a part of one.

Every file a run or a sweep depends on (results.json, run metadata, cache shards and
their index) is written through here. Paths may be local or tf.io.gfile URLs (`gs://`,
`s3://`, `ram://`, ...):

* local: a temporary file beside the target, renamed over it (POSIX rename is atomic);
* a store with rename (gs:// renames by copying the object, and an object appears whole;
  ram://): a temporary object beside the target, renamed over it;
* a store without rename (none known to TF today) is not supported: its UnimplementedError
  propagates (writing the target directly would let readers see a part of it).
"""

from __future__ import annotations

import os
import tempfile
import uuid


def is_remote(path):
    """True for a tf.io.gfile URL (gs://bucket/..., ram://...), False for a local path."""
    return "://" in str(path)


def expand_user(path):
    """`~` expanded in a local path; a URL is returned as it is (`~` means nothing to a store)."""
    return path if is_remote(path) else os.path.expanduser(path)


def read_text(path):
    """A file's text, local or gfile (FileNotFoundError when missing, like open())."""
    if not is_remote(path):
        with open(path) as f:
            return f.read()
    import tensorflow as tf  # only for URLs: reading local results stays free of TensorFlow

    try:
        with tf.io.gfile.GFile(path, "r") as f:
            return f.read()
    except tf.errors.NotFoundError:
        raise FileNotFoundError(f"{path}: not found") from None


def atomic_write(path, write_fn):
    """Calls write_fn(tmp_path) on a temporary file beside `path`, then renames it over `path`.

    The file ends with mode 0644 (mkstemp makes 0600; runs and caches are read by others).
    For a gfile URL write_fn must write through tf.io.gfile (or a TF writer).
    """
    if is_remote(path):
        _atomic_write_remote(str(path), write_fn)
        return
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    os.close(fd)
    try:
        write_fn(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _atomic_write_remote(path, write_fn):
    import tensorflow as tf

    directory, name = path.rsplit("/", 1)
    tf.io.gfile.makedirs(directory)
    tmp = f"{directory}/.{name}.{uuid.uuid4().hex}.tmp"
    try:
        write_fn(tmp)
        tf.io.gfile.rename(tmp, path, overwrite=True)
    finally:
        if tf.io.gfile.exists(tmp):
            tf.io.gfile.remove(tmp)


def atomic_write_text(path, text):
    """Writes a text file atomically (see atomic_write)."""

    def write(tmp):
        if is_remote(tmp):
            import tensorflow as tf

            with tf.io.gfile.GFile(tmp, "w") as f:
                f.write(text)
        else:
            with open(tmp, "w") as f:
                f.write(text)

    atomic_write(path, write)
