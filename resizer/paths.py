"""Where the clone's own files are, found from this package's location, never from the working
directory: scripts and tools run from any folder (docs/training.md, "Running from any folder").

ROOT is the folder above the package: the clone for a checkout or an editable install
(`pip install -e .`). A wheel installed elsewhere has no configs/ beside it; CONFIGS then does
not exist and the flag files are used from the clone by their path.
"""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = os.path.join(ROOT, "configs")


def in_repo(path):
    """`path` if absolute, else the same path under the clone (for names like configs/x.flags)."""
    return path if os.path.isabs(path) else os.path.join(ROOT, path)
