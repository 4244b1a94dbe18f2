"""A fresh run's starting weights: the parts of other runs' checkpoints that --init_backbone_from
and --init_resizer_from name (Table 3's pre-trained baselines, Tables 6/7's transferred resizers)."""

from __future__ import annotations

from resizer.training import checkpoints


def _init_checkpoint(cfg, flag, log):
    """The checkpoint an --init_* flag names. Smoke runs look among smoke runs
    (<runs_dir>/smoke/...) and start from random weights where that run was not made."""
    value = getattr(cfg, flag)
    if not cfg.smoke:
        return checkpoints.resolve(value, cfg.runs_dir, flag)
    try:
        return checkpoints.resolve(value, f"{cfg.runs_dir}/smoke", flag)
    except FileNotFoundError:
        log(f"smoke run: --{flag}={value} has no smoke checkpoint under {cfg.runs_dir}/smoke (make one with "
            f"--smoke on that experiment first); starting from random weights instead")
        return None


def initialise(run, log):
    """A fresh run's starting weights: --init_backbone_from / --init_resizer_from checkpoints."""
    cfg, named = run.cfg, checkpoints.parts(run.model)
    path = cfg.init_backbone_from and _init_checkpoint(cfg, "init_backbone_from", log)
    if path:
        checkpoints.restore_part(path, "backbone", named["backbone"])
        head = checkpoints.restore_part(path, "head", named["head"], required=False)
        log(f"backbone{' and head' if head else ''} from {path}" + ("" if head else " (head: new, other outputs)"))
    path = cfg.init_resizer_from and _init_checkpoint(cfg, "init_resizer_from", log)
    if path:
        checkpoints.restore_part(path, "resizer", named["resizer"])
        log(f"learned resizer from {path}")
