"""Reading image files of unknown quality, and counting the ones left out, for the builders
that prepare datasets from files people have (AVA, an image folder, an IQA CSV).

A file is kept when it decodes to an RGB image; otherwise it is skipped under one reason:
  missing       the path does not exist (a CSV or list names a file that is not there)
  unreadable    the file exists but cannot be opened or read (permissions, I/O error)
  empty         zero bytes
  undecodable   neither TensorFlow nor Pillow can decode it (truncated, not an image, a
                text file named .jpg)
  not_an_image  (folders) a file whose name has no image extension (IMAGE_EXTENSIONS)
Builders record {reason: [file ids]} per split in their metadata under SKIPPED, and
`summary` is how every one of them reports the counts.
"""

from __future__ import annotations

import io
import os

import numpy as np

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
SKIPPED = "skipped"  # the metadata key: {split: {reason: [ids]}}
_JPEG_MAGIC = b"\xff\xd8\xff"


def decode_tf(data):
    """uint8 (H, W, 3) of encoded image bytes by TensorFlow's decoder alone (the input pipeline's);
    raises on bad data."""
    import tensorflow as tf

    return tf.io.decode_image(data, channels=3, expand_animations=False).numpy()


def decode_rgb(data):
    """uint8 (H, W, 3) of encoded image bytes: TensorFlow's decoder (JPEG, PNG, BMP, GIF first
    frame; grey expanded, alpha dropped), else Pillow's (e.g. 1-bit BMP); raises on bad data.
    Pillow loads the whole image, so a truncated file raises rather than decoding partly.
    JPEGs must decode with TensorFlow: they are stored as they are and the input pipeline
    decodes them with it."""
    import tensorflow as tf

    try:
        return decode_tf(data)
    except tf.errors.InvalidArgumentError:
        if is_jpeg(data):
            raise
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            image.seek(0)
            return np.asarray(image.convert("RGB"))


def is_jpeg(data):
    return data[:3] == _JPEG_MAGIC


def load_image(path, decode_fn=decode_rgb):
    """(problem, data): problem is None or a reason above ("missing", "unreadable", "empty",
    "undecodable").

    data is the file's bytes when it is a decodable JPEG (stored as it is), or the decoded
    (H, W, 3) uint8 array for other decodable formats (the builder stores it re-encoded).
    decode_fn(bytes) -> array, raising on bad data.
    """
    if not os.path.isfile(path):
        return "missing", None
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return "unreadable", None
    why, pixels = decode_bytes(data, decode_fn)
    if why:
        return why, None
    return None, data if is_jpeg(data) else pixels


def decode_bytes(data, decode_fn=decode_rgb):
    """(problem, pixels) of encoded image bytes: ("empty" or "undecodable", None), or
    (None, decode_fn(data))."""
    if not data:
        return "empty", None
    try:
        return None, decode_fn(data)
    except Exception:  # any decoder error means the same thing here: unusable file
        return "undecodable", None


def summary(skipped):
    """'2 empty, 1 undecodable' of {reason: [ids]} ('none' when nothing was skipped)."""
    return ", ".join(f"{len(ids)} {reason}" for reason, ids in sorted(skipped.items()) if ids) or "none"


def report_lines(dataset, metadata):
    """One '<dataset> <split>: skipped images: ...' line per split of a builder's metadata (None:
    builders that check no image, e.g. TFDS's cifar10, have none on their first preparation)."""
    return [f"  {dataset} {split}: skipped images: {summary(reasons)}"
            for split, reasons in sorted((metadata or {}).get(SKIPPED, {}).items())]
