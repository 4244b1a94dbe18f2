"""Reads absl flag files the way absl does, for tools that inspect configs without running them.

A flag file holds one `--name=value` per line; `--flagfile=path` includes another file
at that point (paths relative to the working directory, as absl resolves them); later
values override earlier ones; `#` and `//` start comment lines.
"""

from __future__ import annotations

import os


def read(path, _seen=None):
    """Returns {flag name: value string} of a flag file with its includes resolved."""
    seen = set() if _seen is None else _seen
    real = os.path.realpath(path)
    if real in seen:
        raise ValueError(f"{path}: --flagfile includes itself (cycle through {sorted(seen)})")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"flag file {path} does not exist (paths are relative to {os.getcwd()})")
    seen = seen | {real}
    values = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith(("#", "//")):
                continue
            if not line.startswith("--"):
                raise ValueError(f"{path}:{number}: expected --name=value, got {line!r}")
            name, eq, value = line[2:].partition("=")
            if name == "flagfile":
                values.update(read(value, seen))
            elif eq:
                values[name] = value
            elif name.startswith("no"):
                values[name[2:]] = "false"
            else:
                values[name] = "true"
    return values
