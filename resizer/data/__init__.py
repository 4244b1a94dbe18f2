"""Data for the resizer experiments: ImageNet, AVA and CIFAR-10 through TFDS, the input
pipeline, the Table 9 distortions and the pre-resized cache.

    ds, n = resizer.data.make_dataset("imagenet2012", "train", data_dir=None, training=True,
                                      input_size=448, batch_size=32)

WORKSPACE.md says which files go where; docs/data.md describes the pipeline.
"""

from resizer.data.pipeline import make_dataset
from resizer.data.registry import DatasetInfo, info
from resizer.data.tfds_source import ENV_DATA_DIR, resolve_data_dir

__all__ = ["make_dataset", "info", "DatasetInfo", "source", "prepare", "crop_conventions", "ENV_DATA_DIR",
           "resolve_data_dir"]


def source(dataset, split, data_dir=None, **options):
    """The dataset module's `source(split, data_dir, **options)`: (un-batched examples, count)."""
    from resizer.data import registry

    return registry.module(dataset).source(split, data_dir, **options)


def prepare(dataset, data_dir=None, manual=None, **options):
    """Prepares a TFDS dataset from its hand-downloaded files (WORKSPACE.md); returns the builder.
    options: a user dataset's preparation options (docs/your-data.md)."""
    from resizer.data import registry

    module = registry.module(dataset)
    if not hasattr(module, "prepare"):
        raise ValueError(f"{dataset} has nothing to prepare.")
    return module.prepare(data_dir, manual, **options)


def crop_conventions(dataset, train_preprocessing="ours", eval_preprocessing="ours", data_dir=None):
    """(train_crop, eval_crop): the strings results.json records in settings (a named
    preprocessing option of resizer.data.crops records its own)."""
    from resizer.data import crops

    dataset_info = info(dataset, data_dir)
    train = crops.preprocessing(True, train_preprocessing).record or dataset_info.train_crop_name
    return train, crops.preprocessing(False, eval_preprocessing).record or dataset_info.eval_crop_name
