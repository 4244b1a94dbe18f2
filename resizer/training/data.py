"""The training data of a run: a Config turned into resizer.data.make_dataset calls, and the
step plan (steps per epoch, decay steps) computed from the split's size."""

from __future__ import annotations

from resizer.training import schedule


def epoch_seed(seed, epoch):
    """Epoch e reads the training split through a fresh pipeline seeded by (seed, e)."""
    return seed * 4096 + epoch


def _source_options(cfg, training):
    """A dataset module's `run_options(task, num_examples)`, where it has one (the generated data:
    which task to generate for, and how many examples to render), else none."""
    from resizer.data import registry

    module = registry.module(cfg.dataset_id)
    if not hasattr(module, "run_options"):
        return None
    return module.run_options(cfg.task, (cfg.train_examples if training else cfg.eval_examples) or None)


def dataset(cfg, *, training, seed, input_context=None, batch_size=None, skip_batches=0):
    """(batched dataset, examples in the split) of the training or evaluation split of a run."""
    from resizer.data import make_dataset

    return make_dataset(cfg.dataset_id, cfg.train_split if training else cfg.eval_split, data_dir=cfg.data_dir or None,
                        training=training, input_size=cfg.pipeline_size,
                        batch_size=batch_size or (cfg.batch_size if training else cfg.global_eval_batch),
                        interpolation=cfg.interpolation, distortion=cfg.distortion or None, seed=seed,
                        deterministic=cfg.deterministic, input_context=input_context,
                        cache_dir=cfg.cache_dir or None,
                        num_examples=(cfg.train_examples if training else cfg.eval_examples) or None,
                        source_options=_source_options(cfg, training), skip_batches=skip_batches,
                        train_preprocessing=cfg.train_preprocessing, eval_preprocessing=cfg.eval_preprocessing)


def make_plan(cfg):
    """The step plan of a config (None for evaluation-only runs); reads the split's size only."""
    if cfg.evaluation_only:
        return None
    _, count = dataset(cfg, training=True, seed=epoch_seed(cfg.seed, 0))
    return schedule.plan(count, cfg.batch_size, epochs=cfg.train_epochs, steps=cfg.train_steps,
                         decay_epochs=cfg.lr_decay_epochs)
