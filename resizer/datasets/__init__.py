"""The datasets: one module (or package) per dataset, named as the dataset (`--dataset=<name>`).

A dataset module defines `INFO` (a resizer.data.DatasetInfo: task, classes, splits, crops,
the paper's fixed resize) and `source(split, data_dir, **options)` -> (un-batched
{"image", "label"} examples, count); optionally `prepare(data_dir, manual_dir)`. The
registry (resizer.data.registry) finds the modules here by file name, so adding a dataset
is one new file. Modules import TensorFlow Datasets only when read.
"""
