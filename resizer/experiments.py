"""The registry of every experiment: one per table row, per baseline a row starts from, per
Section 4.3 run that no table holds, and the demo's two models.

Experiments are made by config factories, one per family, and registered by name:
  * each published table's spec (resizer/tables/table<N>.py) makes the experiments of its
    rows from the rows themselves, so an experiment knows the row it reproduces (`row`);
  * the families of resizer/families/ make the rest: ImageNet baselines no table prints,
    the Section 4.3 runs, the demo.

`EXPERIMENTS` ({name: Experiment}) is built on first access. An experiment's name is its
flag file's path under configs/ without `.flags` (`table4/resnet50/proposed_368` <->
`configs/table4/resnet50/proposed_368.flags`), and its default model directory is
`runs/<name>`. `scripts/make_configs.py` writes the flag files from this registry (tests
check `make_configs.py --check`).

Which run starts from which (our reading of Sections 4, 4.3 and Table 3; see docs/training.md):
  * `table4/<backbone>/bilinear_224` is the default baseline (stage 1). It trains from
    scratch at learning rate 0.05 (no pretrained weights can be downloaded here; set
    `--backbone_weights=imagenet` and `--learning_rate=0.005` to fine-tune Keras' weights).
  * every other Table 4 row fine-tunes that baseline (0.005): the bilinear rows at their
    larger size, the proposed rows with a randomly initialised resizer in front (stage 2).
  * `table5/<backbone>/bicubic_224` fine-tunes the ImageNet baseline of its backbone (Table 3:
    pre-trained baselines); EfficientNet-b0, absent from Table 4, gets its own ImageNet
    baseline `imagenet/efficientnet_b0/bilinear_224`. The other Table 5 rows fine-tune it.
  * Tables 6 and 7: the target's default baseline plus the initial backbone's trained
    368->224 resizer, re-tuned jointly for 4 epochs. The diagonal is the Table 4/5 model itself,
    evaluated again (the paper prints the same numbers), so those rows only evaluate.
  * Table 8: the (r, n) = (1, 16) cells are the Table 4/5 368->224 models, evaluated again;
    the other cells train like `proposed_368` with another (r, n).
  * Table 9: the ResNet-50 baseline plus a new resizer, trained on distorted images (4x
    down-scaled images are up-scaled 56 -> 224 by the resizer; the others keep 224).
  * Section 4.3: a CIFAR-10 ResNet-50 baseline fine-tuned from the ImageNet one, then the
    ImageNet-trained ResNet-50 resizer re-tuned with it; and the trained 368->224 resizers put
    in front of another backbone's baseline without re-tuning (evaluation only).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from typing import Optional

from resizer import settings as settings_lib

BATCH = {224: 128, 256: 96, 320: 64, 368: 48, 448: 32}  # Tables 4 and 5 (Section 4)
LR_SCRATCH = 0.05    # Section 4
LR_FINETUNE = 0.005  # Section 4
# Our choices: the paper gives no epoch counts except "about 4 epochs" for Tables 6 and 7.
EPOCHS_SCRATCH = 100
EPOCHS_FINETUNE = 10
EPOCHS_RETUNE = 4

# configs/common.flags: these Config fields, at Config's defaults except where overridden here.
COMMON_FLAGS = ("momentum", "lr_decay_rate", "lr_decay_epochs", "label_smoothing", "weight_decay",
                "checkpoint_every_steps", "keep_checkpoints", "log_every_steps", "strategy", "seed")
COMMON_OVERRIDES = {"log_every_steps": 100}  # our choice for long runs (Config's default suits short ones)


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One run: what it trains (or only evaluates), and what it starts from.

    Field names are Config's (its flags). `init_backbone_from` / `init_resizer_from` name other
    experiments whose final checkpoints provide the backbone (with its head when the task
    matches) and the learned resizer; `train_epochs == 0` means evaluation only (the model is
    assembled from those). `row` is the published row it reproduces (None outside the tables).
    """

    name: str
    table: Optional[int]
    dataset: str
    backbone: str
    resizer: str                      # learned, bilinear or bicubic
    output: int
    batch_size: int
    resizer_input: Optional[int] = None
    filters: Optional[int] = None
    res_blocks: Optional[int] = None
    distortion: Optional[str] = None
    init_backbone_from: Optional[str] = None
    init_resizer_from: Optional[str] = None
    learning_rate: float = LR_FINETUNE
    train_epochs: float = EPOCHS_FINETUNE
    description: str = ""
    row: object = dataclasses.field(default=None, compare=False, repr=False)  # tables.spec.PublishedRow

    @property
    def info(self):
        """The DatasetInfo of its dataset (task, interpolation, classes, splits)."""
        from resizer.data import registry

        return registry.info(self.dataset)

    @property
    def task(self):
        return self.info.task

    @property
    def interpolation(self):
        return self.info.interpolation

    @property
    def flagfile(self):
        return f"configs/{self.name}.flags"

    @property
    def parent_flagfile(self):
        """The backbone-level flag file the row's file includes."""
        return f"configs/{dataset_flagfile(self.dataset)}/{self.backbone}.flags"

    @property
    def evaluation_only(self):
        return settings_lib.evaluation_only(self)

    @property
    def reuses_a_model(self):
        return settings_lib.reuses_a_model(self)

    @property
    def depends_on(self):
        """Experiments that must have finished first (their checkpoints are read)."""
        return tuple(dict.fromkeys(n for n in (self.init_backbone_from, self.init_resizer_from) if n))

    def model_dir(self, runs_dir="runs"):
        return f"{runs_dir}/{self.name}"

    def settings(self):
        """Its results.json settings (resizer.settings.settings_of), crops aside."""
        return settings_lib.settings_of(self, settings_lib.resizer_trained_with(self, registry().get))

    def record(self):
        """What its results.json will say that rows are matched on (PublishedRow.matches)."""
        return {"task": self.task, "dataset": self.dataset, "table": self.table, "settings": self.settings()}

    def flags(self):
        """The row-level flags of its flag file (the rest comes from the included files)."""
        values = {
            "experiment": self.name,
            "table": self.table if self.table is not None else "",
            "resizer": self.resizer,
            "resizer_input": self.resizer_input if self.resizer_input is not None else "",
            "output": self.output,
            "batch_size": self.batch_size,
        }
        if self.resizer == "learned":
            values.update(filters=self.filters, res_blocks=self.res_blocks)
        values.update(distortion=self.distortion or "",
                      init_backbone_from=self.init_backbone_from or "",
                      init_resizer_from=self.init_resizer_from or "",
                      learning_rate=self.learning_rate,
                      train_epochs=self.train_epochs)
        return {k: str(v) for k, v in values.items()}


def proposed(name, table, dataset, backbone, size, baseline, output=224, **kw):
    """A learned-resizer experiment (the paper's default n=16, r=1) fine-tuned from `baseline`."""
    kw = {"batch_size": BATCH.get(size), **settings_lib.DEFAULT_RESIZER, **kw}
    return Experiment(name, table, dataset, backbone, "learned", output=output, resizer_input=size,
                      init_backbone_from=baseline, **kw)


def dataset_flagfile(dataset):
    """Name of a dataset's shared flag file under configs/ (DatasetInfo.flag_file, else its name)."""
    from resizer.data import registry

    return getattr(registry.info(dataset), "flag_file", None) or dataset


@functools.cache
def registry():
    """{name: Experiment} of every family, built on first use (the factories import this module)."""
    from resizer import families, tables

    exps = []
    for spec in tables.specs():
        exps += spec.experiments(tables.rows(spec.number))
    for family in families.modules():
        exps += family.experiments()
    found = {}
    for exp in exps:
        if exp.name in found:
            raise ValueError(f"two experiments are called {exp.name!r}; an experiment name is its flag file path")
        found[exp.name] = exp
    return found


def __getattr__(name):
    if name == "EXPERIMENTS":  # resizer.experiments.EXPERIMENTS: the registry, built on first access
        return registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def shared_files():
    """{dataset: (comment, extra flags)} of the datasets' shared flag files, from the table specs
    and families that introduce each dataset."""
    from resizer import families, tables

    found = {}
    for owner in [*tables.specs(), *families.modules()]:
        for dataset, value in getattr(owner, "shared_files", getattr(owner, "SHARED_FILES", {})).items():
            if dataset in found:
                raise ValueError(f"two families describe the shared flag file of {dataset!r}")
            found[dataset] = value
    return found


def get(name):
    """The experiment called `name` (its flag file path under configs/ without .flags)."""
    try:
        return registry()[name]
    except KeyError:
        close = difflib.get_close_matches(name, registry(), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"No experiment {name!r} in resizer.experiments.{hint}") from None


def names(table=None):
    """All experiment names (registry order), or those reproducing one table."""
    return [n for n, e in registry().items() if table is None or e.table == table]


def in_dependency_order(selected):
    """`selected` names plus everything they start from, each after its dependencies."""
    order, state = [], {}

    def visit(name, chain):
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ValueError(f"dependency cycle: {' -> '.join(chain + [name])}")
        state[name] = "visiting"
        for dep in get(name).depends_on:
            visit(dep, chain + [name])
        state[name] = "done"
        order.append(registry()[name])

    for name in selected:
        visit(name, [])
    return order
