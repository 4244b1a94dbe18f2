"""Atomic file writes: readers see the old file or the new one, never a part of one.

Every file a run or a sweep depends on (results.json, run metadata, cache shards and
their index) is written through here.
"""

from __future__ import annotations

import os
import tempfile


def atomic_write(path, write_fn):
    """Calls write_fn(tmp_path) on a temporary file beside `path`, then renames it over `path`.

    The file ends with mode 0644 (mkstemp makes 0600; runs and caches are read by others).
    """
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


def atomic_write_text(path, text):
    """Writes a text file atomically (see atomic_write)."""

    def write(tmp):
        with open(tmp, "w") as f:
            f.write(text)

    atomic_write(path, write)
