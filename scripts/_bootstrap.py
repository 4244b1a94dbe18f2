"""Lets `python scripts/X.py` import the package from this checkout without installing it, from
any working directory, and prepares the command line every script hands to absl."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def argv():
    """sys.argv for `app.run(main, argv=_bootstrap.argv())`: see resizer.cli.prepare_argv."""
    from resizer import cli

    return cli.prepare_argv(sys.argv)
