"""What a --smoke run changes and what its numbers mean, said in one line, once per run."""

_said = set()  # the configurations whose line was printed (by the script, before the loop would)


def note(cfg, changes=()):
    """The line a smoke run prints before its first loss and metrics (None for real runs);
    `changes`: the '--flag=row value -> smoke value' items of config.smoke_changes."""
    if not cfg.smoke:
        return None
    trains = f"{cfg.train_steps} steps on {cfg.train_examples} generated images" if cfg.train_steps else (
        "no training (an evaluation-only row)")
    changed = f"; it changes {', '.join(changes)}" if changes else ""
    return (f"smoke run: {trains}, from random or smoke-run weights, evaluated on {cfg.eval_examples} generated "
            f"images{changed}. The loss and metrics below only show that every stage runs (errors near 100% and "
            "large losses are expected); they say nothing about this configuration, and its results.json "
            "reproduces no table.")


def say_note(cfg, log=print, changes=()):
    """Prints note(cfg, changes) unless it was printed for this configuration already."""
    line = note(cfg, changes)
    if line and cfg not in _said:
        _said.add(cfg)
        log(line)
