"""What every script does with its command line before absl parses it (scripts/_bootstrap.py)."""

from __future__ import annotations

import os
import sys

from resizer import flagfile


def prepare_argv(argv=None, flag_values=None):
    """argv for absl's app.run: --flagfile includes resolved from the including file
    (resizer.flagfile), a missing or cyclic flag file reported in one line (exit 1), and the
    flags that resizer modules define (resizer.config's run flags) made key flags of the
    script, so that --helpshort lists them."""
    from absl import flags

    argv = sys.argv if argv is None else argv
    try:
        expanded = flagfile.expand_argv(argv)
    except (OSError, ValueError) as e:
        sys.exit(f"{os.path.basename(argv[0])}: error: {e}")
    fv = flags.FLAGS if flag_values is None else flag_values
    for module, defined in fv.flags_by_module_dict().items():
        if module.split(".")[0] == "resizer":
            for flag in defined:
                fv.register_key_flag_for_module(argv[0], flag)
    return expanded
