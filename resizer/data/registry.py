"""The dataset registry: the datasets are the modules of `resizer.datasets` (one file each, named
as the dataset), and `DatasetInfo` is what each declares about itself.

`names()` lists them without importing any (no TensorFlow); `module(name)` and `info(name)`
import the one asked for.
"""

from __future__ import annotations

import dataclasses

from resizer.registry import ModuleRegistry

DATASETS = ModuleRegistry("dataset", "resizer.datasets")
TRAIN_CROPS = ("inception", "pad_crop", "none")  # see resizer.data.crops; none: the whole image
EVAL_CROPS = ("central", "full")


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """The facts about a dataset that the pipeline, the trainer and results.json need.

    Attributes:
      name: the name `make_dataset` takes.
      task: a registered task (resizer.tasks): "classification" (targets: int32 class ids)
        or "iqa" (float32 (10,) rating distributions).
      num_classes: classes of a classifier (10 rating bins for iqa).
      interpolation: the fixed pre-resize of the paper for this dataset.
      splits: every split name `source` accepts.
      train_split: the split the paper trains on.
      eval_split: the split the paper reports (ImageNet: validation; AVA, CIFAR-10: test).
      selection_split: a held-out part of the training data for model selection, or None.
      train_crop / eval_crop: crop policies (resizer.data.crops); eval_fraction is the side
        fraction of the central crop.
      pipeline_options: whether `source` takes the pipeline's keyword options (decode,
        shuffle_files, seed, input_context, num_examples). Sources that do not are called
        as `source(split, data_dir)` and the pipeline shards and limits them itself.
      other_tasks: tasks besides `task` its `source` can serve (the generated data: both).
      flag_file: the shared flag file configs/<flag_file>.flags its experiments include
        (None: its name); scripts/make_configs.py writes it.
    """

    name: str
    task: str
    num_classes: int
    interpolation: str
    splits: tuple
    train_split: str
    eval_split: str
    selection_split: str | None
    train_crop: str = "inception"
    eval_crop: str = "central"
    eval_fraction: float = 0.875
    pipeline_options: bool = True
    other_tasks: tuple = ()
    flag_file: str | None = None

    def __post_init__(self):
        from resizer import tasks

        for task in self.tasks:
            tasks.REGISTRY.check(task)
        if self.train_crop not in TRAIN_CROPS or self.eval_crop not in EVAL_CROPS:
            raise ValueError(f"{self.name}: crops must be in {TRAIN_CROPS} / {EVAL_CROPS}, got "
                             f"{self.train_crop!r} / {self.eval_crop!r}")

    @property
    def tasks(self):
        return (self.task,) + tuple(self.other_tasks)

    @property
    def train_crop_name(self):
        """The training crop as results.json records it (settings.train_crop)."""
        return {"inception": "inception_crop_area0.08-1_aspect3/4-4/3+flip",
                "pad_crop": "pad4_random_crop+flip", "none": "full_image+flip"}[self.train_crop]

    @property
    def eval_crop_name(self):
        """The evaluation crop as results.json records it (settings.eval_crop)."""
        return f"central_crop_{self.eval_fraction:g}" if self.eval_crop == "central" else "full_image"


def names():
    """Every dataset name, without importing any dataset module."""
    return DATASETS.names()


def module(name):
    """The dataset module of `name`; ValueError (with a did-you-mean) for unknown names.
    A name "<kind>/<name>" is the module's `named(<name>)` (a prepared user dataset)."""
    kind, _, variant = name.partition("/")
    found = DATASETS.module(kind)
    return found.named(variant) if variant else found


def info(name, data_dir=None):
    """The DatasetInfo of a dataset: its module's `INFO`, or for data prepared under a name,
    its `info(data_dir)` (read from the prepared data)."""
    dataset_module = module(name)
    if hasattr(dataset_module, "INFO"):
        return dataset_module.INFO
    if hasattr(dataset_module, "info"):
        return dataset_module.info(data_dir)
    raise ValueError(f"dataset {name!r} defines no INFO (a resizer.data.DatasetInfo).")


def check_split(dataset_info, split):
    if split not in dataset_info.splits:
        raise ValueError(f"{dataset_info.name} has no split {split!r}; expected one of "
                         f"{', '.join(dataset_info.splits)}.")
