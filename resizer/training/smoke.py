"""What the numbers of a --smoke run mean: nothing about the configuration, said once per run."""


def note(cfg):
    """The line a smoke run prints before its first loss and metrics (None for real runs)."""
    if not cfg.smoke:
        return None
    trains = f"{cfg.train_steps} steps on {cfg.train_examples} generated images" if cfg.train_steps else (
        "no training (an evaluation-only row)")
    return (f"smoke run: {trains}, from random or smoke-run weights, evaluated on {cfg.eval_examples} generated "
            "images: the loss and metrics below only show that every stage runs (errors near 100% and large losses "
            "are expected); they say nothing about this configuration, and its results.json reproduces no table.")


def say_note(cfg, log=print):
    line = note(cfg)
    if line:
        log(line)
