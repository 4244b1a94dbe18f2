"""What the numbers of a --smoke run mean: nothing about the configuration, said once per run."""

from resizer import config


def note(cfg):
    """The line a smoke run prints before its first loss and metrics (None for real runs)."""
    if not cfg.smoke:
        return None
    smoke = config.SMOKE
    return (f"smoke run: {smoke.get('train_steps', 'a few')} steps on {smoke.get('train_examples', 'a few')} "
            f"generated images from random weights, evaluated on {smoke.get('eval_examples', 'a few')}: the loss "
            "and metrics below only show that every stage runs (errors near 100% and large losses are expected); "
            "they say nothing about this configuration, and its results.json reproduces no table.")


def say_note(cfg, log=print):
    line = note(cfg)
    if line:
        log(line)
