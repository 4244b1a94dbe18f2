"""What the pipeline needs to know about each dataset, and where its reader lives.

Dataset modules are imported on first use, by name, so that `import resizer.data` stays
light and a module that does not exist yet (the demo's `synthetic`, issue 5) only fails
when it is asked for.
"""

from __future__ import annotations

import dataclasses
import importlib

# name -> module that defines `source(...)` and `INFO`.
MODULES = {
    "imagenet2012": "resizer.data.imagenet",
    "ava": "resizer.data.ava",
    "cifar10": "resizer.data.cifar10",
    "fashion_mnist": "resizer.data.fashion_mnist",
    "synthetic": "resizer.data.synthetic",
}

TASKS = ("classification", "iqa")
TRAIN_CROPS = ("inception", "pad_crop", "none")  # see resizer.data.crops; none: the whole image
EVAL_CROPS = ("central", "full")


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """The facts about a dataset that the pipeline, the trainer and results.json need.

    Attributes:
      name: the name `make_dataset` takes.
      task: "classification" (targets: int32 class ids) or "iqa" (float32 (10,) rating
        distributions).
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

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"{self.name}: task must be one of {TASKS}, got {self.task!r}")
        if self.train_crop not in TRAIN_CROPS or self.eval_crop not in EVAL_CROPS:
            raise ValueError(f"{self.name}: crops must be in {TRAIN_CROPS} / {EVAL_CROPS}, got "
                             f"{self.train_crop!r} / {self.eval_crop!r}")

    @property
    def train_crop_name(self):
        """The training crop as results.json records it (settings.train_crop)."""
        return {"inception": "inception_crop_area0.08-1_aspect3/4-4/3+flip",
                "pad_crop": "pad4_random_crop+flip", "none": "full_image+flip"}[self.train_crop]

    @property
    def eval_crop_name(self):
        """The evaluation crop as results.json records it (settings.eval_crop)."""
        return f"central_crop_{self.eval_fraction:g}" if self.eval_crop == "central" else "full_image"


def module(name):
    """The dataset module of `name`; ValueError for unknown names, ImportError if not written yet."""
    if name not in MODULES:
        raise ValueError(f"Unknown dataset {name!r}; expected one of {', '.join(MODULES)}.")
    try:
        return importlib.import_module(MODULES[name])
    except ModuleNotFoundError as e:
        if e.name != MODULES[name]:
            raise
        raise ImportError(f"dataset {name!r} needs the module {MODULES[name]}, which does not exist "
                          "in this checkout yet.") from e


def info(name):
    """The DatasetInfo of a dataset: its module's `INFO`."""
    dataset_module = module(name)
    if hasattr(dataset_module, "INFO"):
        return dataset_module.INFO
    raise ValueError(f"{MODULES[name]} defines no INFO (a resizer.data.DatasetInfo).")


def check_split(dataset_info, split):
    if split not in dataset_info.splits:
        raise ValueError(f"{dataset_info.name} has no split {split!r}; expected one of "
                         f"{', '.join(dataset_info.splits)}.")
