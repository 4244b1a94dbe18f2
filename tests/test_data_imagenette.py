"""Imagenette through TFDS's own `imagenette` builder, with tfds.testing.mock_data standing in
for the 1.56 GB download; the configs/imagenette/ flag files run end to end on it."""

import os
import subprocess
import sys

import pytest
import tensorflow_datasets as tfds

from resizer.data import make_dataset
from resizer.datasets import imagenette

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = {"train": 20, "validation": 8}


def write_split_info(data_dir, sizes=SIZES):
    """The dataset_info.json a prepared imagenette/full-size-v2 would have (its split sizes), so
    that mock_data (which only replaces the examples) sees a prepared dataset."""
    builder = tfds.builder(imagenette.TFDS_NAME, data_dir=data_dir)
    builder.info.set_splits(tfds.core.SplitDict(
        [tfds.core.SplitInfo(name=name, shard_lengths=[count], num_bytes=0) for name, count in sizes.items()]))
    os.makedirs(builder.data_dir, exist_ok=True)
    builder.info.write_to_directory(builder.data_dir)
    return data_dir


def test_builder_is_tfds_imagenette_v2_with_ten_classes(tmp_path):
    builder = tfds.builder(imagenette.TFDS_NAME, data_dir=str(tmp_path))
    assert builder.builder_config.dirname == "imagenette2"  # the v2 split, full-size images
    assert builder.info.features["label"].num_classes == imagenette.INFO.num_classes == 10


def test_splits_and_minival(tmp_path):
    data_dir = write_split_info(str(tmp_path))
    with tfds.testing.mock_data(num_examples=4, data_dir=data_dir):
        counts = {split: imagenette.source(split, data_dir)[1] for split in imagenette.INFO.splits}
        ds, count = make_dataset("imagenette", "validation", data_dir=data_dir, training=False, input_size=32,
                                 batch_size=4)
        images, labels = next(iter(ds))
    assert counts == {"train": 20, "validation": 8, "minival": 2, "train_minus_minival": 18}
    assert images.shape == (4, 32, 32, 3) and ((labels >= 0) & (labels < 10)).numpy().all()


def test_unprepared_imagenette_names_the_prepare_command(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"prepare_data.py --dataset imagenette"):
        imagenette.source("train", str(tmp_path))


_UNDER_MOCK = """
import os, runpy, sys
import tensorflow_datasets as tfds
script, data_dir, *argv = sys.argv[1:]
sys.argv = [script, *argv]
sys.path.insert(0, os.path.dirname(script))  # as `python scripts/<script>` would
with tfds.testing.mock_data(num_examples=4, data_dir=data_dir):
    runpy.run_path(script, run_name="__main__")
"""


def _under_mock(script, data_dir, *argv):
    proc = subprocess.run([sys.executable, "-c", _UNDER_MOCK, os.path.join(ROOT, "scripts", script), data_dir, *argv],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.slow
def test_learned_368_flag_file_trains_and_evaluates_for_two_steps(tmp_path):
    data_dir = write_split_info(str(tmp_path / "data"))
    model_dir = str(tmp_path / "run")
    flags = ["--flagfile=configs/imagenette/scratch/learned_368.flags", f"--data_dir={data_dir}",
             f"--model_dir={model_dir}", "--batch_size=2", "--eval_batch_size=2", "--train_steps=2",
             "--eval_examples=4", "--log_every_steps=1"]
    out = _under_mock("train.py", data_dir, *flags)
    assert "results:" in out and os.path.exists(os.path.join(model_dir, "results.json"))
    out = _under_mock("eval.py", data_dir, *flags)
    assert "top1_error_pct" in out, out
