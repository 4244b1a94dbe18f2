"""Checks made before a run does any work, for mistakes that would otherwise surface late
(a misspelt --eval_split would fail only at the final evaluation, hours in)."""

from __future__ import annotations

from resizer.data import registry


def check_splits(cfg):
    """ValueError naming the flag when --train_split or --eval_split is not a split of --dataset."""
    info = registry.info(cfg.dataset_id, cfg.data_dir or None)
    flags = (("eval_split", cfg.eval_split),) if cfg.evaluation_only else (
        ("train_split", cfg.train_split), ("eval_split", cfg.eval_split))
    for flag, split in flags:
        try:
            registry.check_split(info, split)
        except ValueError as e:
            raise ValueError(f"--{flag}={split}: {e}") from None
