"""Which checkpoint a restart resumes from, and whether it may resume at all.

A restart never starts over silently and never changes a run's settings silently:

* The checkpoint to resume from is found by listing the `ckpt-N.index` files on disk, not
  by trusting the `checkpoint` state file (a damaged or stale one is rewritten). The newest
  is verified by reading every tensor (each carries a crc32c, so garbled bytes, a truncated
  or missing data file or a damaged index are all caught); a damaged one is passed over for
  the next older, and the log names it and why.
* If checkpoints exist but none can be read, the run refuses with one line naming the
  damaged files and the choices; nothing in the directory is touched (no new checkpoint
  whose rotation would delete the old ones).
* The run-defining settings (`report.RUN_DEFINING`) travel inside every checkpoint (a string
  variable, `checkpoints.SETTINGS_KEY`), so the settings check does not depend on
  `config.json`, which can go missing; config.json is checked as well.
* `ckpt-N_temp/` folders left by a kill during a save are removed (chief only).
"""

from __future__ import annotations

import dataclasses
import json
import re

import tensorflow as tf
from tensorflow.python.checkpoint import checkpoint_management

from resizer.training import checkpoints, report

_INDEX = re.compile(r"^ckpt-(\d+)\.index$")
_TEMP = re.compile(r"^ckpt-\d+_temp/?$")


class NoIntactCheckpoint(ValueError):
    """The model directory holds checkpoints, none of them readable."""


def run_settings(cfg):
    """{flag: value} of the flags that define a run (what a restart must not change)."""
    values = dataclasses.asdict(cfg)
    return {k: values[k] for k in report.RUN_DEFINING}


def settings_json(cfg):
    """run_settings as the JSON string stored in every checkpoint."""
    return json.dumps(run_settings(cfg), sort_keys=True)


def stored_settings(prefix):
    """The run-defining settings stored in a checkpoint, or None (written before they were)."""
    reader = checkpoints.reader(prefix)
    if not reader.has_tensor(checkpoints.SETTINGS_TENSOR):
        return None
    return json.loads(reader.get_tensor(checkpoints.SETTINGS_TENSOR).decode())


def check_checkpoint_settings(prefix, cfg, what):
    """ValueError naming every run-defining flag of `cfg` that differs from the checkpoint's."""
    before = stored_settings(prefix)
    changed = report.changed_flags(before, cfg) if before is not None else []
    if changed:
        raise ValueError(f"{prefix} was written by a run with other settings: {', '.join(changed)}. {what}")


def on_disk(model_dir):
    """[(step, prefix)] of the checkpoints in model_dir (by their index files), newest first."""
    if not tf.io.gfile.isdir(model_dir):
        return []
    found = [(int(m.group(1)), f"{model_dir.rstrip('/')}/ckpt-{m.group(1)}")
             for m in map(_INDEX.match, tf.io.gfile.listdir(model_dir)) if m]
    return sorted(found, reverse=True)


def damage(prefix):
    """Why a checkpoint cannot be restored ('' when every tensor reads back intact)."""
    where = "index"
    try:
        reader = checkpoints.reader(prefix)
        for where in reader.get_variable_to_shape_map():
            reader.get_tensor(where)
        if not reader.has_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"):
            return "no object graph (not written by tf.train.Checkpoint)"
    except Exception as e:  # noqa: BLE001 -- the reader raises OpError, IndexError, ...: all mean unreadable
        message = " ".join((getattr(e, "message", None) or str(e) or type(e).__name__).split())
        return f"reading {where}: {message[:200]}"
    return ""


def clean_temp(model_dir, log):
    """Removes ckpt-N_temp/ folders that a kill during a save left behind."""
    if not tf.io.gfile.isdir(model_dir):
        return
    for name in tf.io.gfile.listdir(model_dir):
        if _TEMP.match(name):
            path = f"{model_dir.rstrip('/')}/{name.rstrip('/')}"
            tf.io.gfile.rmtree(path)
            log(f"removed {path}: an unfinished save (the run was killed while saving)")


def _name(prefix):
    return prefix.rsplit("/", 1)[-1]


def choose(model_dir, cfg, log, chief=True):
    """The checkpoint prefix a (re)started run resumes from, or None for a fresh run.

    The chief also removes unfinished saves, checks the run-defining settings (the
    checkpoint's own, then config.json's) and rewrites a `checkpoint` state file that is
    damaged or names another checkpoint, so that tf.train.CheckpointManager starts from the
    chosen one. Other workers only choose (the same one: the choice depends on the files).
    Raises NoIntactCheckpoint or ValueError (other settings) with one line.
    """
    if chief:
        clean_temp(model_dir, log)
    found = on_disk(model_dir)
    if not found:
        return None
    damaged = []
    for _, prefix in found:
        why = damage(prefix)
        if not why:
            break
        damaged.append(f"{_name(prefix)} ({why})")
    else:
        raise NoIntactCheckpoint(
            f"{model_dir} holds checkpoints but none can be read: {'; '.join(damaged)}. Nothing was changed. "
            f"Choices: restore them from a backup; or move them away to start over from step 0 "
            f"(e.g. mv {model_dir} {model_dir.rstrip('/')}.damaged); or choose another --model_dir.")
    if damaged:
        log(f"warning: damaged checkpoint{'s' if len(damaged) > 1 else ''} {'; '.join(damaged)}: resuming from "
            f"the newest intact one, {_name(prefix)}")
    if chief:
        check_checkpoint_settings(prefix, cfg, f"Resume it with its own flags (see {model_dir}/flags.txt) or choose "
                                               "another --model_dir.")
        report.check_same_run(model_dir, cfg)
        if _repair_state(model_dir, prefix, [p for _, p in found]):
            log(f"the checkpoint state file of {model_dir} did not name {_name(prefix)}: rewritten to, so that the "
                "run continues (and rotates old checkpoints) from it")
    return prefix


def _repair_state(model_dir, prefix, candidates):
    """Points the `checkpoint` state file at `prefix` (listing the older ones for rotation);
    True when it had to be rewritten."""
    try:
        state = tf.train.get_checkpoint_state(model_dir)
    except (tf.errors.OpError, ValueError, UnicodeDecodeError):
        state = None
    if state is not None and _name(state.model_checkpoint_path) == _name(prefix):
        return False
    older = sorted((p for p in candidates if _step(p) <= _step(prefix)), key=_step)
    # With their times (the index files'), so that the manager rotates them as its own.
    times = [tf.io.gfile.stat(p + ".index").mtime_nsec / 1e9 for p in older]
    checkpoint_management.update_checkpoint_state_internal(
        model_dir, _name(prefix), all_model_checkpoint_paths=[_name(p) for p in older], save_relative_paths=True,
        all_model_checkpoint_timestamps=times, last_preserved_timestamp=min(times) - 1)
    return True


def _step(prefix):
    return int(prefix.rsplit("-", 1)[1])
