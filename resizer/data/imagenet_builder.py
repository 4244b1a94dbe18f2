"""TFDS's `imagenet2012` builder, with every image checked while preparing.

TFDS stores the JPEG bytes of the tars as they are, so one truncated or garbled file would
stop every epoch that reads it (`Invalid JPEG data`), on every restart. This builder decodes
each image once while preparing (TensorFlow's decoder, the one the pipeline uses), skips
those that are empty or undecodable, logs a count per reason and split, and records their
file names in the dataset's metadata.json under "skipped" ({split: {reason: [names]}}), as
the AVA builder does. Everything else (features, version, directory) is TFDS's builder, so a
dataset prepared by either reads the same. Decoding adds about a CPU-hour per million images.
"""

from __future__ import annotations

import collections
import io

import tensorflow_datasets as tfds
from absl import logging
from tensorflow_datasets.datasets.imagenet2012 import imagenet2012_dataset_builder as tfds_imagenet

from resizer.data import image_files


class CheckedImagenet2012(tfds_imagenet.Builder, skip_registration=True):
    """imagenet2012 whose unusable images are skipped, counted and recorded."""

    name = "imagenet2012"

    def _info(self):
        info = super()._info()
        return self.dataset_info_from_configs(features=info.features, supervised_keys=info.supervised_keys,
                                              homepage=info.homepage, metadata=tfds.core.MetadataDict())

    def _generate_examples(self, archive, validation_labels=None, labels_exist=True):
        split = "test" if not labels_exist else "validation" if validation_labels else "train"
        skipped = collections.defaultdict(list)
        for key, example in super()._generate_examples(archive, validation_labels, labels_exist):
            image = example["image"]
            data = image.read() if hasattr(image, "read") else image
            why, _ = image_files.decode_bytes(data, image_files.decode_tf)  # stored as it is: TF must decode it
            if why:
                skipped[why].append(example["file_name"])
                continue
            yield key, {**example, "image": io.BytesIO(data)}
        self.info.metadata.setdefault(image_files.SKIPPED, {})[split] = {k: sorted(v) for k, v in skipped.items()}
        logging.warning("imagenet2012 %s: skipped images: %s.", split, image_files.summary(skipped))
