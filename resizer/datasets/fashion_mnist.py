"""Fashion-MNIST (Xiao et al. 2017) through TFDS's own `fashion_mnist` builder, from its real files.

70,000 28x28 grey photographs of clothing in 10 classes (60,000 train, 10,000 test). Two
routes to the same prepared `<data_dir>/fashion_mnist/3.0.1/` (WORKSPACE.md):

* Debian/Ubuntu, offline: `apt-get install dataset-fashion-mnist` puts the four original
  `*-idx?-ubyte.gz` files in /usr/share/datasets/fashion-mnist/; then
  `python scripts/prepare_data.py --dataset fashion_mnist --manual_dir=/usr/share/datasets/fashion-mnist`.
* A networked machine: `tfds build fashion_mnist --data_dir=<data_dir>` (TFDS downloads the
  files and checks its own checksums of the .gz bytes).

Debian re-compressed the files, so their .gz bytes differ from the ones TFDS registered
(the gzip header lost the file name; TFDS refuses them with NonMatchingChecksumError).
What matters is the IDX content inside, so `VerifiedFashionMNIST`, TFDS's builder with its
download step changed, decompresses the hand-supplied files with TFDS's download manager and
checks the sha256 of the decompressed bytes against `IDX_SHA256` before TFDS writes a single
example; a mismatch stops with the file and the fix named, and what was verified is recorded
in the prepared folder's metadata.json (`provenance`). It needs all four files by hand
and downloads nothing; on a networked machine TFDS's own builder (`tfds build`, above)
downloads them and checks its own .gz checksums.

Splits: `train` (60,000), `test` (10,000: the evaluation set), `minival` (the last 10% of
train, 6,000: model selection) and `train_minus_minival` (the other 54,000). The images are
grey; `source` yields them as RGB (the channel repeated), since every model takes 3 channels.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import os

import tensorflow as tf

from resizer.data import tfds_source
from resizer.data.registry import DatasetInfo

NAME = "fashion_mnist"
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
MINIVAL_PERCENT = 10
VERIFIED = "verified_content"  # the metadata.json key: what was verified, from where, when

# sha256 of the *decompressed* IDX files. Computed here (2026-12-01) from Debian's package
# dataset-fashion-mnist 0.0~git20200523.55506a9-1 (upstream commit 55506a9 of
# github.com/zalandoresearch/fashion-mnist); independent public projects that fetched the
# upstream .gz files record the same four values, so the content is upstream's.
IDX_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
# TFDS's download keys (mnist.MNIST._split_generators) -> IDX file names.
FILES = {
    "train_data": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_data": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# 28x28 images: the whole image (+ flip) for training and evaluation; a crop would cut off
# much of a 28-pixel garment.
INFO = DatasetInfo(
    name=NAME, task="classification", num_classes=10, interpolation="bilinear",
    splits=("train", "test", "minival", "train_minus_minival"),
    train_split="train", eval_split="test", selection_split="minival",
    train_crop="none", eval_crop="full", eval_fraction=1.0,
)


class ContentMismatch(ValueError):
    """A Fashion-MNIST file whose decompressed content is not the recorded one."""


def sha256_file(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with tf.io.gfile.GFile(os.fspath(path), "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def verify(extracted, manual):
    """{IDX name: sha256} of the decompressed files {download key: path}, each checked against IDX_SHA256;
    ContentMismatch names the first that differs, and the fix."""
    digests = {}
    for key, path in extracted.items():
        name = FILES[key]
        digests[name] = actual = sha256_file(path)
        if actual != IDX_SHA256[name]:
            raise ContentMismatch(
                f"{NAME}: {os.path.join(manual, name + '.gz')} decompresses to content with sha256 {actual}, "
                f"not the recorded {IDX_SHA256[name]} (resizer/datasets/fashion_mnist.py); replace it with the "
                f"original file (apt-get install --reinstall dataset-fashion-mnist, or on a networked machine "
                f"`tfds build {NAME}`).")
    return digests


def manual_files(manual):
    """{download key: path} of the .gz files in `manual`, or {} when none is there."""
    if not manual:
        return {}
    return {key: os.path.join(manual, name + ".gz") for key, name in FILES.items()
            if os.path.isfile(os.path.join(manual, name + ".gz"))}


class _VerifyingDownloads:
    """The download manager that TFDS's MNIST `_split_generators` sees: the four hand-supplied
    files are decompressed (not checked against TFDS's .gz checksums) and their decompressed
    content must match IDX_SHA256."""

    def __init__(self, dl_manager):
        self._dl_manager = dl_manager
        self.verified = None

    def download_and_extract(self, urls):
        del urls  # never downloaded: TfdsDataset.prepare checked that all four files are in the manual folder
        manual = os.fspath(self._dl_manager.manual_dir)
        extracted = {key: os.fspath(path) for key, path in self._dl_manager.extract(manual_files(manual)).items()}
        # TFDS's example counts (60,000 and 10,000) are then exact: they are those of the verified content.
        self.verified = {"source": manual, "idx_sha256": verify(extracted, manual)}
        return extracted


@functools.cache  # defined on first use (importing TFDS is slow), then one class for every builder
def _builder_class():
    import tensorflow_datasets as tfds
    from tensorflow_datasets.image_classification import mnist

    class VerifiedFashionMNIST(mnist.FashionMNIST, skip_registration=True):
        """TFDS's fashion_mnist (same name, version and features, so a directory prepared by
        `tfds build fashion_mnist` reads the same), verifying the decompressed content and
        recording it in metadata.json under VERIFIED."""

        name = NAME
        MANUAL_DOWNLOAD_INSTRUCTIONS = (
            f"Required: the four *-idx?-ubyte.gz files (Debian: apt-get install dataset-fashion-mnist, then "
            f"--manual_dir={DEBIAN_DIR}). On a networked machine, `tfds build {NAME}` (TFDS's own builder) "
            f"downloads them instead.")

        def _info(self):
            # TFDS writes the metadata with dataset_info.json when the split files are complete,
            # so a prepared folder never lacks the record of what it was prepared from.
            info = super()._info()
            return tfds.core.DatasetInfo(builder=self, description=info.description, features=info.features,
                                         supervised_keys=info.supervised_keys, homepage=info.homepage,
                                         citation=info.citation, metadata=tfds.core.MetadataDict())

        def _split_generators(self, dl_manager):
            downloads = _VerifyingDownloads(dl_manager)
            generators = super()._split_generators(downloads)
            self.info.metadata[VERIFIED] = {
                **downloads.verified,
                "verified_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
            return generators

    return VerifiedFashionMNIST


def make_builder(data_dir):
    return _builder_class()(data_dir=data_dir)


def default_manual_dir(data_dir):
    """<data_dir>/downloads/manual when the files are there, else Debian's folder (if installed)."""
    manual = tfds_source.manual_dir(data_dir)
    return manual if manual_files(manual) or not manual_files(DEBIAN_DIR) else DEBIAN_DIR


def check_manual_dir(manual):
    present = manual_files(manual)
    missing = [name + ".gz" for key, name in FILES.items() if key not in present]
    if missing:
        raise FileNotFoundError(
            f"{NAME}: {', '.join(missing)} missing in {manual}. Install Debian's dataset-fashion-mnist and pass "
            f"--manual_dir={DEBIAN_DIR}, or on a networked machine run `tfds build {NAME} --data_dir=<data_dir>` "
            f"(WORKSPACE.md, section '{NAME}').")


split_range = tfds_source.held_out_split_range(INFO, MINIVAL_PERCENT)


def image_rgb_and_label(example):
    """{"image" uint8 (28, 28, 3), "label" int64}: the grey channel repeated."""
    return {**tfds_source.image_and_label(example), "image": tf.image.grayscale_to_rgb(example["image"])}


DATASET = tfds_source.TfdsDataset(
    name=NAME, make_builder=make_builder, check_manual=check_manual_dir, split_range=split_range,
    to_example=image_rgb_and_label, prepare_hint=f" --manual_dir={DEBIAN_DIR} (~35 MB, under a minute)",
    default_manual_dir=default_manual_dir, always_decode=True,
)


def source(split, data_dir=None, **options):
    """(un-batched {"image" uint8 28x28x3, "label", "key"} examples, count). The images are PNG
    in TFDS, so they are always decoded (decode=False is ignored)."""
    return DATASET.source(split, data_dir, **options)


def prepare(data_dir=None, manual=None):
    """Prepares fashion_mnist from the four .gz files in the manual directory; returns the builder.
    What it verified is in the prepared directory's metadata.json (VERIFIED)."""
    return DATASET.prepare(data_dir, manual)


def provenance(data_dir=None):
    """What results files record about the prepared data: the builder, its split sizes, and the content
    sha256 verified when it was prepared. A directory `tfds build` made records none (TFDS checked
    the .gz bytes), so whether it matches IDX_SHA256 is None: not checked."""
    builder = DATASET.prepared_builder(data_dir)
    verified = (builder.info.metadata or {}).get(VERIFIED)
    if verified is None:
        content, matches = {"source": "prepared by TFDS's own fashion_mnist builder (its .gz checksums); content "
                                      "not verified here", "idx_sha256_recorded": dict(IDX_SHA256)}, None
    else:
        content, matches = verified, verified["idx_sha256"] == IDX_SHA256
    return {"dataset": NAME, "tfds_builder": f"tensorflow_datasets fashion_mnist {builder.VERSION}",
            "prepared_dir": builder.data_dir,
            "prepared_splits": {k: v.num_examples for k, v in builder.info.splits.items()},
            "content": content, "matches_recorded_sha256": matches}
