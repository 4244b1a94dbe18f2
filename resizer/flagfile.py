"""absl flag files with includes resolved from the including file, for the scripts and for tools.

A flag file holds one `--name=value` per line; `#` and `//` start comment lines; later values
override earlier ones; `--flagfile=path` includes another file at that point. Where a path is
looked up (absl itself resolves every path against the working directory, so the configs,
which include each other, only worked from the repository root):

- `--flagfile=path` on the command line: relative to the working directory, as usual;
- an include inside a flag file: relative to the folder of the file that includes it, else
  relative to the repository root (the generated configs name their includes
  `configs/<dataset>.flags`, from the root).

A file that is not found is reported with the nearest flag file of configs/ ("did you mean").
Scripts call `expand_argv` before absl parses sys.argv (scripts/_bootstrap.py); tools that only
inspect configs call `read`.
"""

from __future__ import annotations

import difflib
import os

from resizer import paths

_DIRECTIVES = ("--flagfile=", "-flagfile=")
_SEPARATE = ("--flagfile", "-flagfile")  # absl's `--flagfile path` form


def locate(path, including=None):
    """The absolute path of flag file `path`, named on the command line (including=None) or
    inside the flag file `including`; FileNotFoundError with a suggestion when there is none."""
    path = os.path.expanduser(path)
    if os.path.isabs(path):
        tried = [path]
    elif including is None:
        tried = [os.path.abspath(path)]
    else:
        tried = [os.path.join(os.path.dirname(including), path), os.path.join(paths.ROOT, path)]
    for candidate in tried:
        if os.path.isfile(candidate):
            return os.path.abspath(candidate)
    where = f"{including}: " if including else ""
    message = f"{where}flag file {path} not found (looked for {' and '.join(map(os.path.normpath, tried))})"
    guess = suggestion(tried[0])
    raise FileNotFoundError(message + (f"; did you mean {guess}?" if guess else ""))


def suggestion(path):
    """The flag file under configs/ nearest to `path` (difflib), as the user would type it, or None."""
    known = {}
    for dirpath, _, names in os.walk(paths.CONFIGS):
        for name in names:
            if name.endswith(".flags"):
                full = os.path.join(dirpath, name)
                known[os.path.relpath(full, paths.CONFIGS)] = full
    normal = os.path.normpath(path).replace(os.sep, "/")
    key = normal.rsplit("configs/", 1)[-1] if "configs/" in normal else os.path.basename(normal)
    match = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    if not match:
        return None
    relative = os.path.relpath(known[match[0]])
    return known[match[0]] if relative.startswith("..") else relative


def lines(path, _stack=()):
    """The flag lines of the flag file at `path` (located already), its includes expanded in place."""
    real = os.path.realpath(path)
    if real in _stack:
        raise ValueError(f"{path}: --flagfile includes itself (cycle through {', '.join(_stack)})")
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", "//")):
                continue
            if line.startswith(_DIRECTIVES):
                target = line.split("=", 1)[1].strip()
                if target:  # absl ignores an empty --flagfile=
                    out += lines(locate(target, including=path), _stack + (real,))
            else:
                out.append(line)
    return out


def expand_argv(argv):
    """argv with every --flagfile argument replaced by its file's lines, for absl to parse
    (argv[0] and everything after `--` are kept as they are)."""
    out, rest = [argv[0]], list(argv[1:])
    while rest:
        arg = rest.pop(0)
        if arg in _SEPARATE:
            if not rest:
                raise ValueError(f"{arg} needs a file name")
            out += lines(locate(rest.pop(0)))
        elif arg.startswith(_DIRECTIVES):
            target = arg.split("=", 1)[1].strip()
            out += lines(locate(target)) if target else []
        else:
            out.append(arg)
            if arg == "--":
                out += rest
                break
    return out


def read(path):
    """{flag name: value string} of the flag file at `path` (relative to the working directory),
    its includes resolved as above."""
    values = {}
    for line in lines(locate(path)):
        if not line.startswith("-"):
            raise ValueError(f"{path}: expected --name=value, got {line!r}")
        name, eq, value = line.lstrip("-").partition("=")
        if eq:
            values[name] = value
        elif name.startswith("no"):
            values[name[2:]] = "false"
        else:
            values[name] = "true"
    return values
