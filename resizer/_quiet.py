"""Keeps TensorFlow's import-time noise off a user's terminal; imported first by resizer/__init__.py,
so every script and `import resizer` pass through it before TensorFlow is imported.

TensorFlow 2.21 prints its first C++ log lines before abseil logging is initialised, where
`TF_CPP_MIN_LOG_LEVEL` does not reach them: an abseil banner, "oneDNN custom operations are on"
and, without a GPU driver, "Could not find cuda drivers" (INFO), twice (two libraries each carry
abseil), and at the first device query `E0000 ... failed call to cuInit` (ERROR). So the import of
`tensorflow` is run with file descriptor 2 captured (C++ writes there directly), and what was
captured is written back without the lines below the log level; nothing is changed but what is
printed (oneDNN stays on, CUDA_VISIBLE_DEVICES is untouched).

- Without TF_CPP_MIN_LOG_LEVEL in the environment, the level is 2 (INFO and WARNING hidden, as
  TensorFlow itself does at that level) and, only when this machine has no NVIDIA driver
  (no /proc/driver/nvidia, no libcuda), the cuInit error, which is then certain and harmless,
  is hidden too: the device query is made inside the captured import for that reason.
- A TF_CPP_MIN_LOG_LEVEL the user set is applied as it is (0 shows every line, 3 hides errors).
- TFDS's warning "Variant folder ... has no dataset_info.json", written whenever a builder is
  made for a dataset not prepared yet (where our own message says what to do), is dropped.

If the TensorFlow import itself crashes the process, the captured lines are lost; rerun with
TF_CPP_MIN_LOG_LEVEL=0 to see everything unfiltered.
"""

import contextlib
import ctypes.util
import importlib.abc
import importlib.util
import logging
import os
import re
import sys
import tempfile

_USER_LEVEL = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# abseil's line prefix: severity, MMDD, time, thread id, file:line]
_PREFIX = re.compile(r"^([IWEF])\d{4} [\d:.]+\s+\d+ \S+:\d+\] ")
_SEVERITY = {"I": 0, "W": 1, "E": 2, "F": 3}
_BANNER = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
_CUINIT = re.compile(r"cuda_platform\.cc:\d+\] failed call to cuInit")


def _level():
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    except ValueError:
        return 0


def has_nvidia_driver():
    return os.path.isdir("/proc/driver/nvidia") or ctypes.util.find_library("cuda") is not None


def keep(lines, level, hide_cuinit):
    """The captured lines a user should see: abseil lines below `level` dropped, and the cuInit
    error when `hide_cuinit`; every other line (Python's warnings, say) is kept."""
    kept = []
    for line in lines:
        match = _PREFIX.match(line)
        if match and (_SEVERITY[match.group(1)] < level or (hide_cuinit and _CUINIT.search(line))):
            continue
        if line.rstrip("\n") == _BANNER and level >= 1:
            continue
        kept.append(line)
    return kept


@contextlib.contextmanager
def _filtered_stderr(hide_cuinit):
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode(errors="replace")
            sys.stderr.write("".join(keep(text.splitlines(keepends=True), _level(), hide_cuinit)))
            sys.stderr.flush()


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader  # TensorFlow sees its own loader
        hide_cuinit = _USER_LEVEL is None and not has_nvidia_driver()
        with _filtered_stderr(hide_cuinit):
            self.loader.exec_module(module)
            if hide_cuinit:
                module.config.list_physical_devices("GPU")  # where cuInit is called, and fails


class _TensorFlowFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once; the real finders locate the package
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


class _DropUnpreparedVariantWarning(logging.Filter):
    def filter(self, record):
        return not (record.msg == "Variant folder %s has no %s" and record.pathname.endswith("file_utils.py"))


def install():
    if "tensorflow" not in sys.modules and _level() > 0 and not any(
            isinstance(f, _TensorFlowFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _TensorFlowFinder())
    from absl import logging as absl_logging  # first: absl must create its own "absl" logger

    absl_logger = absl_logging.get_absl_logger()
    if not any(isinstance(f, _DropUnpreparedVariantWarning) for f in absl_logger.filters):
        absl_logger.addFilter(_DropUnpreparedVariantWarning())


install()
