"""Tiny copies of the real on-disk layouts, for the tests and scripts/bench_input.py.

Every writer produces the files a user would have (same names, same archive structure),
only with a few small images, so that the real loaders run on them unchanged.
"""

from __future__ import annotations

import io
import os
import tarfile

import numpy as np

# Photos bundled with scikit-image (no download): JPEGs made from crops of these compress
# and decode like real photographs, unlike random noise.
_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry")
_photo_cache = []


def _photos():
    if not _photo_cache:
        import skimage.data

        _photo_cache.extend(getattr(skimage.data, name)() for name in _PHOTOS)
    return _photo_cache


def photo(height, width, rng):
    """A (height, width, 3) uint8 photo: a random crop of a sample photo, resized."""
    from PIL import Image

    source = _photos()[rng.integers(len(_PHOTOS))]
    sh, sw = source.shape[:2]
    ch, cw = rng.integers(sh // 2, sh + 1), rng.integers(sw // 2, sw + 1)
    y, x = rng.integers(0, sh - ch + 1), rng.integers(0, sw - cw + 1)
    crop = Image.fromarray(source[y:y + ch, x:x + cw])
    image = np.asarray(crop.resize((width, height), Image.BILINEAR))
    return image[:, ::-1] if rng.integers(2) else image


def jpeg(image, quality=90):
    """JPEG bytes of a uint8 (H, W, 3) or (H, W) array."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def photo_jpeg(height, width, rng, quality=90):
    return jpeg(photo(height, width, rng), quality)


def _add(archive, name, data):
    member = tarfile.TarInfo(name)
    member.size = len(data)
    archive.addfile(member, io.BytesIO(data))


# ImageNet -------------------------------------------------------------------------------

def imagenet_synsets(num_classes):
    """The first `num_classes` synsets of TFDS's label list (label ids 0..num_classes-1)."""
    from tensorflow_datasets.datasets.imagenet2012 import imagenet_common

    with open(imagenet_common.label_names_file()) as f:
        return f.read().split()[:num_classes]


def imagenet_validation_labels(num_images):
    """The synsets of ILSVRC2012_val_00000001..num_images, from TFDS's bundled list."""
    import tensorflow_datasets as tfds

    path = tfds.core.tfds_path("datasets/imagenet2012/validation_labels.txt")
    with open(path) as f:
        return f.read().split()[:num_images]


def write_imagenet_manual(manual_dir, num_classes=3, per_class=4, num_val=6, size=(48, 64), quality=90, seed=0):
    """ILSVRC2012_img_train.tar (a tar of nXXXXXXXX.tar class tars) and ILSVRC2012_img_val.tar.

    `size` is one (height, width) or a sequence of them, used in turn.
    Returns {"train": {file name: synset}, "validation": {file name: synset}, "bytes": [JPEG sizes]}.
    """
    rng = np.random.default_rng(seed)
    sizes = [size] if isinstance(size[0], int) else list(size)
    os.makedirs(manual_dir, exist_ok=True)
    expected = {"train": {}, "validation": {}, "bytes": []}

    def image():
        data = photo_jpeg(*sizes[len(expected["bytes"]) % len(sizes)], rng, quality=quality)
        expected["bytes"].append(len(data))
        return data

    with tarfile.open(os.path.join(manual_dir, "ILSVRC2012_img_train.tar"), "w") as train:
        for synset in imagenet_synsets(num_classes):
            class_tar = io.BytesIO()
            with tarfile.open(fileobj=class_tar, mode="w") as inner:
                for i in range(per_class):
                    name = f"{synset}_{i + 1}.JPEG"
                    _add(inner, name, image())
                    expected["train"][name] = synset
            _add(train, f"{synset}.tar", class_tar.getvalue())
    with tarfile.open(os.path.join(manual_dir, "ILSVRC2012_img_val.tar"), "w") as val:
        for i, synset in enumerate(imagenet_validation_labels(num_val)):
            name = f"ILSVRC2012_val_{i + 1:08d}.JPEG"
            _add(val, name, image())
            expected["validation"][name] = synset
    return expected


# AVA ------------------------------------------------------------------------------------

def ava_line(index, image_id, counts, tags=(0, 0), challenge=1):
    return " ".join(str(v) for v in (index, image_id, *counts, *tags, challenge))


def write_ava_manual(root, num_images=30, num_test=8, size=(40, 56), missing=(), empty=(), corrupt=(),
                     absent_test_ids=(), seed=0):
    """An AVA_dataset folder: AVA.txt, images/<id>.jpg, aesthetics_image_lists/generic_test.jpgl.

    Image ids are 1000 + i. The first `num_test` ids form the test list, followed by
    `absent_test_ids` (ids the test list names but AVA.txt does not, as in the real list).
    Ids in `missing` get no file, in `empty` a 0-byte file, in `corrupt` a truncated JPEG.
    Returns {image id: the 10 vote counts}.
    """
    rng = np.random.default_rng(seed)
    images = os.path.join(root, "images")
    lists = os.path.join(root, "aesthetics_image_lists")
    os.makedirs(images, exist_ok=True)
    os.makedirs(lists, exist_ok=True)
    counts, lines = {}, []
    for i in range(num_images):
        image_id = 1000 + i
        counts[image_id] = [int(c) for c in rng.integers(0, 30, size=10)]
        counts[image_id][rng.integers(10)] += 1  # never all zero
        lines.append(ava_line(i + 1, image_id, counts[image_id]))
        path = os.path.join(images, f"{image_id}.jpg")
        if image_id in missing:
            continue
        data = photo_jpeg(*size, rng)
        if image_id in empty:
            data = b""
        elif image_id in corrupt:
            data = data[: len(data) // 3]
        with open(path, "wb") as f:
            f.write(data)
    with open(os.path.join(root, "AVA.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    test_ids = [1000 + i for i in range(num_test)] + list(absent_test_ids)
    with open(os.path.join(lists, "generic_test.jpgl"), "w") as f:
        f.write("\n".join(str(i) for i in test_ids) + "\n")
    return counts


# CIFAR-10 -------------------------------------------------------------------------------

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def write_cifar10_archive(manual_dir, per_file=4, seed=0):
    """cifar-10-binary.tar.gz in the layout of the real file (5 train batches, 1 test batch).

    Returns {"train": [labels in order], "test": [labels]}.
    """
    rng = np.random.default_rng(seed)
    os.makedirs(manual_dir, exist_ok=True)
    labels = {"train": [], "test": []}
    path = os.path.join(manual_dir, "cifar-10-binary.tar.gz")
    with tarfile.open(path, "w:gz") as archive:
        _add(archive, "cifar-10-batches-bin/batches.meta.txt", ("\n".join(CIFAR10_CLASSES) + "\n").encode())
        files = [(f"data_batch_{i}.bin", "train") for i in range(1, 6)] + [("test_batch.bin", "test")]
        for name, split in files:
            records = []
            for _ in range(per_file):
                label = int(rng.integers(10))
                image = photo(32, 32, rng)
                records.append(bytes([label]) + image.transpose(2, 0, 1).tobytes())
                labels[split].append(label)
            _add(archive, f"cifar-10-batches-bin/{name}", b"".join(records))
    return labels


# Prepared copies ------------------------------------------------------------------------

def assert_stores_what_tfds_stores(ours, theirs, splits):
    """Two prepared builders hold the same features, version, split sizes and examples (every
    feature, images as their stored bytes, in stored order): a folder either prepared reads the same."""
    import tensorflow_datasets as tfds

    assert ours.info.features.to_json() == theirs.info.features.to_json() and ours.version == theirs.version

    def examples(builder, split):
        ds = builder.as_dataset(split=split, decoders={"image": tfds.decode.SkipDecoding()}, shuffle_files=False)
        return [{name: value.numpy() for name, value in example.items()} for example in ds]

    for split in splits:
        mine, reference = examples(ours, split), examples(theirs, split)
        assert ours.info.splits[split].num_examples == theirs.info.splits[split].num_examples == len(mine)
        assert len(mine) == len(reference) and all(
            a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a) for a, b in zip(mine, reference))


def prepared_imagenet(data_dir, **layout):
    """Writes the fake manual download under data_dir and prepares it with TFDS's builder."""
    from resizer.data import tfds_source
    from resizer.datasets import imagenet2012 as imagenet

    expected = write_imagenet_manual(tfds_source.manual_dir(data_dir), **layout)
    imagenet.prepare(data_dir)
    return expected


def prepared_ava(data_dir, **layout):
    from resizer.datasets import ava

    counts = write_ava_manual(ava.DATASET.manual_dir(data_dir), **layout)
    ava.prepare(data_dir)
    return counts


def prepared_cifar10(data_dir, **layout):
    """The fake archive cannot have the real file's checksum, so only here TFDS's checksum
    check is switched off; everything else is the real preparation from the manual file."""
    from unittest import mock

    import tensorflow_datasets as tfds

    from resizer.data import tfds_source
    from resizer.datasets import cifar10

    labels = write_cifar10_archive(tfds_source.manual_dir(data_dir), **layout)
    with mock.patch.object(tfds.download.DownloadManager, "_register_or_validate_checksums"):
        cifar10.prepare(data_dir)
    return labels


def write_fashion_mnist_manual(manual_dir, num_train=12, num_test=6, seed=0):
    """The four Fashion-MNIST files (gzip'd IDX: big-endian magic, counts, 28x28 uint8 images;
    labels 0..9) with a few grey photo crops. Returns {"sha256": {IDX name: sha256 of the
    decompressed bytes}, "train": [labels], "test": [labels], "images": {split: uint8 array}}."""
    import gzip
    import hashlib

    rng = np.random.default_rng(seed)
    os.makedirs(manual_dir, exist_ok=True)
    written = {"sha256": {}, "images": {}}
    for split, prefix, count in (("train", "train", num_train), ("test", "t10k", num_test)):
        images = np.stack([photo(28, 28, rng).mean(axis=2).astype(np.uint8) for _ in range(count)])
        labels = rng.integers(10, size=count).astype(np.uint8)
        contents = {f"{prefix}-images-idx3-ubyte": (2051).to_bytes(4, "big") + b"".join(
                        n.to_bytes(4, "big") for n in (count, 28, 28)) + images.tobytes(),
                    f"{prefix}-labels-idx1-ubyte": (2049).to_bytes(4, "big") + count.to_bytes(4, "big")
                    + labels.tobytes()}
        for name, content in contents.items():
            with open(os.path.join(manual_dir, name + ".gz"), "wb") as f:
                f.write(gzip.compress(content, mtime=0))
            written["sha256"][name] = hashlib.sha256(content).hexdigest()
        written[split], written["images"][split] = [int(label) for label in labels], images
    return written


def fashion_mnist_sizes(written):
    """Patches TFDS's Fashion-MNIST example counts (mnist._TRAIN_EXAMPLES, _TEST_EXAMPLES) to
    those of write_fashion_mnist_manual's files, as TFDS's own tests do; a context manager."""
    import contextlib
    from unittest import mock

    from tensorflow_datasets.image_classification import mnist

    stack = contextlib.ExitStack()
    stack.enter_context(mock.patch.object(mnist, "_TRAIN_EXAMPLES", len(written["train"])))
    stack.enter_context(mock.patch.object(mnist, "_TEST_EXAMPLES", len(written["test"])))
    return stack


def prepared_fashion_mnist(data_dir, **layout):
    """Writes tiny Fashion-MNIST files into data_dir's manual folder and prepares them with the
    project's builder; only while preparing, their content checksums stand in for the recorded
    ones, so the verification that checks the real files checks these, and their sizes for
    TFDS's 60,000 and 10,000."""
    from unittest import mock

    from resizer.data import tfds_source
    from resizer.datasets import fashion_mnist

    written = write_fashion_mnist_manual(tfds_source.manual_dir(data_dir), **layout)
    with mock.patch.object(fashion_mnist, "IDX_SHA256", written["sha256"]), fashion_mnist_sizes(written):
        fashion_mnist.prepare(data_dir)
    return written
