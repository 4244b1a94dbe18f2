"""An undecodable image in a real dataset: preparing imagenet2012 (TFDS's builder over the
ILSVRC tars) skips it, counts it by reason and records its file name; the rest is stored."""

import io
import json
import os
import subprocess
import sys
import tarfile

import pytest

from resizer.data import testing, tfds_source
from resizer.datasets import imagenet2012 as imagenet
from resizer.data import image_files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _damage_train_tar(manual_dir, damage):
    """Rewrites ILSVRC2012_img_train.tar with damage(bytes) applied to the first class's first image."""
    path = os.path.join(manual_dir, "ILSVRC2012_img_train.tar")
    with tarfile.open(path) as outer:
        members = [(m, outer.extractfile(m).read()) for m in outer.getmembers()]
    name, inner_bytes = members[0][0].name, members[0][1]
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        images = [(m.name, inner.extractfile(m).read()) for m in inner.getmembers()]
    images[0] = (images[0][0], damage(images[0][1]))
    rebuilt = io.BytesIO()
    with tarfile.open(fileobj=rebuilt, mode="w") as inner:
        for image_name, data in images:
            info = tarfile.TarInfo(image_name)
            info.size = len(data)
            inner.addfile(info, io.BytesIO(data))
    members[0] = (members[0][0], rebuilt.getvalue())
    with tarfile.open(path, "w") as outer:
        for member, data in members:
            member.size = len(data)
            outer.addfile(member, io.BytesIO(data))
    return images[0][0], name


def test_decode_bytes_finds_truncated_and_empty_images():
    import numpy as np

    good = testing.photo_jpeg(40, 48, np.random.default_rng(0))
    why, pixels = image_files.decode_bytes(good, image_files.decode_tf)
    assert why is None and pixels.shape == (40, 48, 3)
    assert image_files.decode_bytes(good[: len(good) // 2], image_files.decode_tf) == ("undecodable", None)
    assert image_files.decode_bytes(b"", image_files.decode_tf) == ("empty", None)


@pytest.mark.slow  # two preparations, ~40 s each on 2 shared cores
@pytest.mark.parametrize("damage", [lambda d: d[: len(d) // 2], lambda d: b""], ids=["truncated", "empty"])
def test_imagenet_preparation_skips_counts_and_records_undecodable_images(tmp_path, damage):
    data_dir = str(tmp_path / "data")
    manual = tfds_source.manual_dir(data_dir)
    expected = testing.write_imagenet_manual(manual, num_classes=2, per_class=3, num_val=4)
    bad, _ = _damage_train_tar(manual, damage)
    proc = subprocess.run([sys.executable, "scripts/prepare_data.py", "--dataset=imagenet2012",
                           f"--data_dir={data_dir}"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    reason = "empty" if damage(b"xx") == b"" else "undecodable"
    assert f"imagenet2012 train: skipped images: 1 {reason}" in proc.stdout, proc.stdout
    assert "imagenet2012 validation: skipped images: none" in proc.stdout
    builder = imagenet.DATASET.prepared_builder(data_dir)
    assert builder.info.splits["train"].num_examples == len(expected["train"]) - 1
    with open(os.path.join(builder.data_dir, "metadata.json")) as f:
        assert json.load(f)["skipped"]["train"] == {reason: [bad]}
    ds, count = imagenet.source("train", data_dir)
    assert count == len(expected["train"]) - 1 and sum(1 for _ in ds) == count  # every stored image decodes


@pytest.mark.parametrize("training", [False, True])
def test_the_pipeline_drops_an_undecodable_image_instead_of_failing(monkeypatch, training):
    import numpy as np
    import tensorflow as tf

    from resizer.data import pipeline

    rng = np.random.default_rng(0)
    images = [testing.photo_jpeg(40, 48, rng) for _ in range(6)]
    images[2] = images[2][: len(images[2]) // 2]  # truncated: "Invalid JPEG data" when decoded
    source = tf.data.Dataset.from_tensor_slices({"image": images, "label": np.arange(6, dtype=np.int64),
                                                 "key": np.arange(6, dtype=np.int64)})
    monkeypatch.setattr(pipeline, "_examples", lambda *a, **k: (source, 6))
    ds, count = pipeline.make_dataset("imagenet2012", "validation", data_dir=None, training=training,
                                      input_size=24, batch_size=5 if training else 2)
    assert count == 6
    if training:  # repeated: five good examples fill each batch
        labels = np.concatenate([t.numpy() for _, t in ds.take(3)])
        assert len(labels) == 15 and 2 not in labels
    else:
        labels = np.concatenate([t.numpy() for _, t in ds])
        assert sorted(labels) == [0, 1, 3, 4, 5]


def test_only_the_decoding_stage_may_drop_an_example(monkeypatch):
    # An error after decoding (here in the fixed pre-resize) is a bug: it must stop the pipeline,
    # not be dropped like an unreadable image (a repeated training split would then never yield).
    import numpy as np
    import tensorflow as tf

    from resizer.data import pipeline

    images = [testing.photo_jpeg(40, 48, np.random.default_rng(1)) for _ in range(3)]
    source = tf.data.Dataset.from_tensor_slices({"image": images, "label": np.arange(3, dtype=np.int64),
                                                 "key": np.arange(3, dtype=np.int64)})
    monkeypatch.setattr(pipeline, "_examples", lambda *a, **k: (source, 3))

    def broken_resize(pixels, size, interpolation):
        tf.debugging.assert_equal(tf.shape(pixels)[0], -1, message="a bug in the resize")
        return tf.zeros((size, size, 3))

    monkeypatch.setattr(pipeline, "pre_resize", broken_resize)
    ds, _ = pipeline.make_dataset("imagenet2012", "validation", data_dir=None, training=False, input_size=24,
                                  batch_size=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="a bug in the resize"):
        list(ds)


def test_an_evaluation_that_dropped_images_is_not_a_full_split(monkeypatch, tmp_path, capsys):
    import numpy as np
    import tensorflow as tf

    from resizer import config
    from resizer.data import pipeline
    from resizer.training import evaluation
    from resizer.training.model import Run, build_model

    rng = np.random.default_rng(0)
    images = [testing.photo_jpeg(40, 48, rng) for _ in range(4)]
    images[1] = images[1][: len(images[1]) // 2]
    source = tf.data.Dataset.from_tensor_slices({"image": images, "label": np.arange(4, dtype=np.int64),
                                                 "key": np.arange(4, dtype=np.int64)})
    monkeypatch.setattr(pipeline, "_examples", lambda *a, **k: (source, 4))
    cfg = config.make({"experiment": "x", "backbone": "tiny_cnn", "output": 16, "batch_size": 2,
                       "train_epochs": 0, "model_dir": str(tmp_path)})
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        model = build_model(cfg)
    results = evaluation.evaluate_and_report(Run(cfg, strategy, model, str(tmp_path), True, 0), 0, None)
    assert results["split_size"] == 3 and results["full_split"] is False
    assert ("warning: evaluated 3 of the 4 examples of validation: 1 could not be read and were dropped"
            in capsys.readouterr().out)
