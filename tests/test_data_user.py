"""A user's own data: image folders and IQA CSVs of real photos (skimage.data) in every format,
with each kind of bad file, prepared, counted, read back, and trained on end to end."""

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from skimage import data as photos

from resizer.data import image_files, registry, user_data
from resizer.datasets import image_folder, iqa_csv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRUNCATED = "train/dog/truncated.jpg"
UNREADABLE = "train/cat/unreadable.jpg"


def _photo(name, size=(72, 96)):
    """A real photograph from skimage.data, shrunk (uint8, grey or RGB(A) as it comes)."""
    image = Image.fromarray(getattr(photos, name)())
    return np.asarray(image.resize((size[1], size[0]), Image.BILINEAR))


def _encode(array, fmt, **options):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **options)
    return buffer.getvalue()


def _write(root, relative, data):
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def _two_frame_gif(first, second):
    buffer = io.BytesIO()
    frames = [Image.fromarray(first), Image.fromarray(second)]
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


GOOD = {  # path -> encoded file
    "train/cat/astronaut.jpg": lambda: _encode(_photo("astronaut"), "JPEG", quality=90),
    "train/cat/camera_grey.png": lambda: _encode(_photo("camera"), "PNG"),
    "train/cat/logo_rgba.png": lambda: _encode(_photo("logo", (50, 50)), "PNG"),
    "train/cat/nested/more/coins.JPEG": lambda: _encode(_photo("coins"), "JPEG"),
    "train/dog/coffee.bmp": lambda: _encode(_photo("coffee"), "BMP"),
    "train/dog/chelsea.gif": lambda: _two_frame_gif(_photo("chelsea"), _photo("rocket")),
    "train/dog/moon_1bit.bmp": lambda: _encode(_photo("moon") > 128, "BMP"),
    "train/dog/rocket.jpeg": lambda: _encode(_photo("rocket", (40, 200)), "JPEG"),
    "test/cat/cat.jpg": lambda: _encode(_photo("cat"), "JPEG"),
    "test/dog/hubble.png": lambda: _encode(_photo("hubble_deep_field"), "PNG"),
}
BAD = {  # path -> (reason, file)
    "train/dog/empty.jpg": ("empty", lambda: b""),
    TRUNCATED: ("undecodable", lambda: _encode(_photo("astronaut"), "JPEG")[:800]),
    "train/dog/text.jpg": ("undecodable", lambda: b"not a picture, a note\n"),
    "train/cat/noise.png": ("undecodable", lambda: np.random.default_rng(0).bytes(500)),
    "train/cat/notes.txt": (image_folder.NOT_IMAGE, lambda: b"a text file"),
    "train/stray.jpg": (image_folder.OUTSIDE_CLASS, lambda: _encode(_photo("astronaut"), "JPEG")),
    UNREADABLE: ("unreadable", lambda: _encode(_photo("astronaut"), "JPEG")),
}


def _unreadable(monkeypatch, path):
    """chmod 000; as root that does not stop reading, so open() of that path also fails."""
    os.chmod(path, 0)
    real_open = open

    def guarded_open(file, *args, **kwargs):
        if os.fspath(file) == path:
            raise PermissionError(13, "Permission denied", path)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(image_files, "open", guarded_open, raising=False)


def make_folder(root):
    for relative, make in GOOD.items():
        _write(root, relative, make())
    for relative, (_, make) in BAD.items():
        _write(root, relative, make())
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = make_folder(str(tmp_path_factory.mktemp("photos")))
    data_dir = str(tmp_path_factory.mktemp("data"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        _unreadable(monkeypatch, os.path.join(root, UNREADABLE))
        builder = registry.module("image_folder/pets").prepare(data_dir, root)
    return root, data_dir, builder


def test_truncated_jpeg_is_not_decodable_by_either_decoder():
    data = BAD[TRUNCATED][1]()
    assert image_files.is_jpeg(data)
    with pytest.raises(Exception):
        image_files.decode_rgb(data)
    with pytest.raises(OSError):  # Pillow's own verdict
        Image.open(io.BytesIO(data)).load()


def test_every_good_image_is_kept_and_every_bad_one_counted_by_reason(folder):
    root, data_dir, _ = folder
    builder = image_folder.named("pets").builder(data_dir)  # read back from disk
    expected = {}
    for relative, (reason, _) in BAD.items():
        expected.setdefault(reason, []).append(relative)
    skipped = builder.info.metadata[image_files.SKIPPED]
    assert {reason: sorted(paths) for reason, paths in skipped["train"].items()} == \
        {reason: sorted(paths) for reason, paths in expected.items()}
    assert skipped["test"] == {}
    sizes = {name: split.num_examples for name, split in builder.info.splits.items()}
    assert sizes == {"train": sum(p.startswith("train/") for p in GOOD), "test": 2}
    assert builder.info.metadata["class_counts"]["train"] == {"cat": 4, "dog": 4}


def test_classes_come_from_the_folders_sorted(folder):
    _, data_dir, _ = folder
    assert image_folder.class_names("pets", data_dir) == ["cat", "dog"]
    info = registry.info("image_folder/pets", data_dir)
    assert (info.name, info.task, info.num_classes) == ("image_folder/pets", "classification", 2)
    assert (info.splits, info.train_split, info.eval_split) == (("test", "train"), "train", "test")


def _stored(data_dir, split):
    ds, count = image_folder.named("pets").source(split, data_dir, decode=True)
    import tensorflow_datasets as tfds

    builder = image_folder.named("pets").builder(data_dir)
    files = {ex["file"].decode(): ex for ex in tfds.as_numpy(builder.as_dataset(split=split))}
    labels = {ex["file"].decode(): int(ex["label"]) for ex in tfds.as_numpy(builder.as_dataset(split=split))}
    return count, files, labels, ds


def test_stored_images_match_pillow_decoding(folder):
    root, data_dir, _ = folder
    count, files, labels, _ = _stored(data_dir, "train")
    assert count == len(files) == 8
    assert {f: labels[f] for f in files} == {f: ["cat", "dog"].index(f.split("/")[1]) for f in files}
    for relative, example in files.items():
        with Image.open(os.path.join(root, relative)) as original:
            reference = np.asarray(original.convert("RGB"), np.float32)  # GIF: frame 0
        stored = example["image"].astype(np.float32)
        assert stored.shape == reference.shape, relative
        if relative.lower().endswith((".jpg", ".jpeg")):
            continue  # kept byte for byte (next test); libjpeg and Pillow may round differently
        # Re-encoded as JPEG quality 95: close to the decoded original (the sharp-edged logo
        # least), not equal; another frame or channel order would be off by tens.
        assert np.abs(stored - reference).mean() < 8.0, relative


def test_jpegs_are_stored_as_their_own_bytes(folder):
    root, data_dir, _ = folder
    import tensorflow_datasets as tfds

    builder = image_folder.named("pets").builder(data_dir)
    ds = builder.as_dataset(split="train", decoders={"image": tfds.decode.SkipDecoding()})
    stored = {ex["file"].decode(): ex["image"] for ex in tfds.as_numpy(ds)}
    jpeg = [f for f in stored if f.lower().endswith((".jpg", ".jpeg"))]
    assert len(jpeg) == 3
    for relative in jpeg:
        with open(os.path.join(root, relative), "rb") as f:
            assert stored[relative] == f.read()


def test_pipeline_batches_of_the_prepared_folder(folder):
    from resizer.data import make_dataset

    _, data_dir, _ = folder
    ds, count = make_dataset("image_folder/pets", "test", data_dir=data_dir, training=False, input_size=24,
                             batch_size=4)
    images, labels = next(iter(ds))
    assert count == 2 and images.shape == (2, 24, 24, 3) and sorted(labels.numpy().tolist()) == [0, 1]


def test_prepared_folder_can_be_cached_and_read_from_the_cache(folder, tmp_path):
    from resizer.data import cache, make_dataset

    _, data_dir, _ = folder
    path = cache.write("image_folder/pets", "test", data_dir=data_dir, cache_dir=str(tmp_path), size=24)
    assert cache.complete_caches(str(tmp_path), "image_folder/pets", "test")[path]["num_examples"] == 2
    # deterministic: the two pipelines are compared example by example (parallel decoding may reorder).
    ds, count = make_dataset("image_folder/pets", "test", data_dir=data_dir, training=False, input_size=24,
                             batch_size=4, cache_dir=str(tmp_path), deterministic=True)
    direct, _ = make_dataset("image_folder/pets", "test", data_dir=data_dir, training=False, input_size=24,
                             batch_size=4, deterministic=True)
    (cached_images, cached_labels), (images, labels) = next(iter(ds)), next(iter(direct))
    assert count == 2 and cached_labels.numpy().tolist() == labels.numpy().tolist()
    assert np.abs(cached_images.numpy() - images.numpy()).mean() < 0.03  # JPEG-coded copy of the same crop


@pytest.mark.parametrize("layout, message", [
    ({}, r"needs a training split \(train or training\)"),
    ({"train/a/x.txt": b"x", "test/a/y.txt": b"y"}, r"no image files"),
    ({"train/only/a.png": "png", "test/only/b.png": "png"}, r"1 class \(only\).*at least 2 class folders"),
    ({"train/a/a.png": "png", "train/b/b.png": "png", "test/bird/c.png": "png"}, r"classes that train/ lacks: bird"),
    ({"train/a/a.png": "png", "train/b/b.png": "png"}, r"one to evaluate on"),
    ({"cats/a.png": "png", "dogs/b.png": "png"}, r"found cats, dogs.*layout is <root>/<split>/<class name>"),
])
def test_unusable_folders_are_one_line_errors_before_anything_is_written(tmp_path, layout, message):
    root = tmp_path / "root"
    root.mkdir()
    for relative, content in layout.items():
        _write(str(root), relative, _encode(_photo("camera", (8, 8)), "PNG") if content == "png" else content)
    with pytest.raises(ValueError, match=message) as error:
        registry.module("image_folder/bad").prepare(str(tmp_path / "data"), str(root))
    assert "\n" not in str(error.value)
    assert not (tmp_path / "data").exists()


def test_missing_folder_and_bad_names_are_errors(tmp_path):
    with pytest.raises(ValueError, match="is not a folder"):
        image_folder.scan(str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match="lower-case letters"):
        registry.module("image_folder/My Photos")
    with pytest.raises(ValueError, match="needs --dataset_name"):
        registry.info("image_folder")


def test_flags_follow_the_prepared_data(folder):
    _, data_dir, _ = folder
    values = {"dataset": "image_folder", "dataset_name": "pets", "data_dir": data_dir, "task": "classification",
              "num_classes": 1000, "train_split": "train", "eval_split": "validation"}
    resolved = user_data.resolve_flags(values, explicit={"dataset", "dataset_name", "data_dir"})
    assert (resolved["num_classes"], resolved["eval_split"]) == (2, "test")
    with pytest.raises(ValueError, match=r"--num_classes=5 does not match .*image_folder/pets.*num_classes 2"):
        user_data.resolve_flags({**values, "num_classes": 5}, explicit={"num_classes"})
    with pytest.raises(ValueError, match=r"not prepared in .*prepare_data.py --dataset=image_folder --name=cars"):
        user_data.resolve_flags({**values, "dataset_name": "cars"}, explicit=set())
    with pytest.raises(ValueError, match="only image_folder and iqa_csv take a name"):
        user_data.resolve_flags({**values, "dataset": "cifar10"}, explicit=set())
    assert user_data.resolve_flags({"dataset": "cifar10", "dataset_name": ""}, set()) == \
        {"dataset": "cifar10", "dataset_name": ""}


# --- IQA CSVs ---------------------------------------------------------------------------------

IQA_PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "rocket", "coins", "moon", "cat", "clock", "colorwheel")


def make_iqa(root, layout):
    """Ten real photos (two of them bad files) and a CSV of their scores; returns (csv path, rows)."""
    rng = np.random.default_rng(1)
    rows = []
    for i, name in enumerate(IQA_PHOTOS):
        relative = f"images/{name}.{'png' if i % 3 == 0 else 'jpg'}"
        image = _photo(name, (40 + i, 56))
        _write(root, relative, _encode(image, "PNG" if relative.endswith("png") else "JPEG"))
        split = "test" if i >= 7 else "train"
        if layout == "counts":
            rows.append([relative, *rng.integers(0, 30, 10).tolist(), split])
        else:
            rows.append([relative, round(float(rng.uniform(1, 5)), 2), split])
    _write(root, rows[1][0], b"")  # empty
    os.remove(os.path.join(root, rows[8][0]))  # missing
    header = ["image", *[f"c{k}" for k in range(1, 11)], "split"] if layout == "counts" else ["image", "MOS", "split"]
    path = os.path.join(root, "scores.csv")
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return path, rows


def test_two_bin_histogram_keeps_the_mean():
    for t in (1.0, 1.3, 5.5, 9.99, 10.0):
        histogram = iqa_csv.two_bin_histogram(t)
        assert histogram.sum() == pytest.approx(1.0)
        assert np.dot(histogram, np.arange(1, 11)) == pytest.approx(t, abs=1e-6)
        assert np.count_nonzero(histogram) <= 2


def test_counts_csv_prepares_with_vote_histograms(tmp_path):
    path, rows = make_iqa(str(tmp_path / "koniq"), "counts")
    builder = registry.module("iqa_csv/votes").prepare(str(tmp_path / "data"), path)
    assert builder.info.metadata[image_files.SKIPPED] == {"train": {"empty": [rows[1][0]]},
                                                          "test": {"missing": [rows[8][0]]}}
    import tensorflow_datasets as tfds

    stored = {ex["file"].decode(): ex for ex in tfds.as_numpy(builder.as_dataset(split="train"))}
    assert len(stored) == 6
    for row in rows[:7]:
        if row[0] in stored:
            counts = np.asarray(row[1:11], np.float64)
            np.testing.assert_allclose(stored[row[0]]["distribution"], counts / counts.sum(), rtol=1e-6)
    info = registry.info("iqa_csv/votes", str(tmp_path / "data"))
    assert (info.task, info.num_classes, info.train_split, info.eval_split) == ("iqa", 10, "train", "test")


def test_a_prepared_builder_is_made_once_until_its_folder_changes(tmp_path):
    import shutil

    path, _ = make_iqa(str(tmp_path / "koniq"), "counts")
    data_dir, named = str(tmp_path / "data"), registry.module("iqa_csv/again")
    folder = named.prepare(data_dir, path).data_dir
    first = registry.module("iqa_csv/again").builder(data_dir)
    assert registry.module("iqa_csv/again").builder(data_dir) is first and first.data_dir == folder
    info = registry.info("iqa_csv/again", data_dir)
    shutil.rmtree(folder)
    with pytest.raises(FileNotFoundError, match="is not prepared"):
        registry.info("iqa_csv/again", data_dir)
    named.prepare(data_dir, path)
    again = registry.module("iqa_csv/again").builder(data_dir)
    assert again is not first and again.data_dir == folder and registry.info("iqa_csv/again", data_dir) == info


def test_mean_score_csv_with_split_lists(tmp_path):
    root = str(tmp_path / "spaq")
    path, rows = make_iqa(root, "mean")
    with open(path) as f:  # drop the split column: the lists say it
        table = [line.rsplit(",", 1)[0] for line in f.read().splitlines()]
    with open(path, "w") as f:
        f.write("\n".join(table) + "\n")
    _write(root, "train.txt", "\n".join(r[0] for r in rows[:7]).encode())
    _write(root, "test.txt", "\n".join([r[0] for r in rows[7:]] + ["images/unrated.jpg"]).encode())
    builder = registry.module("iqa_csv/mos").prepare(str(tmp_path / "data"), root,
                                                     split_lists={"train": "train.txt", "test": "test.txt"})
    meta = builder.info.metadata
    scores = [r[1] for r in rows]
    assert meta["layout"] == "mean" and meta["score_range"] == [min(scores), max(scores)]
    assert meta[image_files.SKIPPED]["test"] == {"missing": [rows[8][0]], iqa_csv.NOT_IN_CSV: ["images/unrated.jpg"]}
    import tensorflow_datasets as tfds

    stored = {ex["file"].decode(): ex for ex in tfds.as_numpy(builder.as_dataset(split="test"))}
    low, high = min(scores), max(scores)
    for row in (rows[7], rows[9]):
        expected = 1 + 9 * (row[1] - low) / (high - low)
        assert stored[row[0]]["mean_score"] == pytest.approx(expected, abs=1e-5)
        assert np.dot(stored[row[0]]["distribution"], np.arange(1, 11)) == pytest.approx(expected, abs=1e-5)
        assert stored[row[0]]["score"] == pytest.approx(row[1])


@pytest.mark.parametrize("content, options, message", [
    ("image,MOS\na.jpg,3\n", {}, r"no 'split' column and no --split_lists"),
    ("a.jpg,3,train\n", {}, r"first row must be a header"),
    ("image,MOS,split\na.jpg,good,train\n", {}, r"line 2: column 'MOS' is not a number: 'good'"),
    ("image,MOS,split\na.jpg,3,train\na.jpg,4,test\n", {}, r"line 3: a.jpg repeats line 2"),
    ("image,a,b,split\na.jpg,3,4,train\n", {}, r"2 score columns \(a, b\).*--score_columns"),
    ("image,MOS,split\na.jpg,3,train\nb.jpg,7,test\n", {"score_range": (1, 5)}, r"line 3: score 7.0 is outside"),
    ("image,MOS,split\na.jpg,3,train\nb.jpg,4,train\n", {}, r"one to evaluate on"),
])
def test_malformed_csvs_are_errors_naming_the_line(tmp_path, content, options, message):
    path = tmp_path / "scores.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        registry.module("iqa_csv/bad").prepare(str(tmp_path / "data"), str(path), **options)
    assert not (tmp_path / "data").exists()


# --- the scripts end to end ---------------------------------------------------------------------

def _script(name, *args, timeout=300):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", name), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


TRAIN_FLAGS = ("--backbone=tiny_cnn", "--resizer=learned", "--resizer_input=32", "--output=16", "--batch_size=4",
               "--train_steps=3", "--log_every_steps=1", "--checkpoint_every_steps=2", "--learning_rate=0.01")


def _train(dataset, name, data_dir, model_dir, *extra):
    _script("train.py", f"--dataset={dataset}", f"--dataset_name={name}", f"--data_dir={data_dir}",
            "--experiment=test/user", f"--model_dir={model_dir}", *TRAIN_FLAGS, *extra)
    with open(os.path.join(model_dir, "results.json")) as f:
        return json.load(f)


@pytest.mark.slow
def test_prepare_script_prints_counts_and_train_runs_on_the_folder(tmp_path):
    root = make_folder(str(tmp_path / "photos"))
    data_dir = str(tmp_path / "data")
    out = _script("prepare_data.py", "--dataset=image_folder", f"--manual_dir={root}", "--name=pets",
                  f"--data_dir={data_dir}")
    assert "image_folder/pets prepared in" in out and "test 2, train 9" in out
    # No chmod here (the in-process fixture covers unreadable files): that JPEG is kept.
    assert ("1 empty, 1 not_an_image, 1 outside_class_folder, 3 undecodable" in out), out
    assert "classes (2, label order): cat, dog" in out
    results = _train("image_folder", "pets", data_dir, str(tmp_path / "run"))
    assert results["dataset"] == "image_folder/pets" and results["split"] == "test"
    assert results["split_size"] == 2 and results["training"]["steps"] == 3
    assert 0 <= results["metrics"]["top1_error_pct"] <= 100
    bad = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "train.py"), "--dataset=image_folder",
                          "--dataset_name=pets", f"--data_dir={data_dir}", "--num_classes=5", "--experiment=x",
                          *TRAIN_FLAGS], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0
    expected = "--num_classes=5 does not match the prepared dataset image_folder/pets, which has num_classes 2"
    assert expected in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["counts", "mean"])
def test_train_runs_on_an_iqa_csv(tmp_path, layout):
    path, _ = make_iqa(str(tmp_path / "iqa"), layout)
    data_dir = str(tmp_path / "data")
    out = _script("prepare_data.py", "--dataset=iqa_csv", f"--manual_dir={path}", "--name=q", f"--data_dir={data_dir}")
    assert "iqa_csv/q prepared in" in out and "test 2, train 6" in out and "train: skipped images: 1 empty" in out
    results = _train("iqa_csv", "q", data_dir, str(tmp_path / "run"))
    assert results["task"] == "iqa" and results["dataset"] == "iqa_csv/q" and results["split_size"] == 2
    assert {"plcc", "srcc", "loss"} <= set(results["metrics"])


def test_skip_report_of_a_builder_that_checks_no_image():
    # TFDS's own builders (cifar10, imagenette, fashion_mnist) have metadata None on their first
    # preparation: prepare_data.py must print nothing for them, not crash after the work is done.
    assert image_files.report_lines("cifar10", None) == []
    lines = image_files.report_lines("x", {image_files.SKIPPED: {"train": {"empty": ["a.jpg", "b.jpg"]}}})
    assert lines == ["  x train: skipped images: 2 empty"]


def test_scan_follows_linked_folders_and_counts_hidden_ones(tmp_path):
    from PIL import Image

    root, outside = tmp_path / "root", tmp_path / "elsewhere"
    for folder in ("train/cat", "train/dog", "test/cat", "test/dog", "train/.cache"):
        (root / folder).mkdir(parents=True)
    outside.mkdir()
    for path in ("train/cat/a.png", "train/dog/b.png", "test/cat/c.png", "test/dog/d.png", "train/.cache/e.png"):
        Image.new("RGB", (8, 8)).save(root / path)
    Image.new("RGB", (8, 8)).save(outside / "linked.png")
    os.symlink(outside, root / "train" / "cat" / "more")
    os.symlink(root / "train" / "cat", root / "train" / "cat" / "loop")  # a link loop: listed once
    found = image_folder.scan(str(root))
    assert sorted(p for p, _ in found.files["train"]) == ["train/cat/a.png", "train/cat/more/linked.png",
                                                          "train/dog/b.png"]
    assert found.others["train"][image_folder.HIDDEN_FOLDER] == ["train/.cache/e.png"]
