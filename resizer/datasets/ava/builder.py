"""The TFDS builder of AVA (Murray et al., CVPR 2012), from the distribution as people have it.

Manual directory (default `<data_dir>/downloads/manual/AVA_dataset/`):
  AVA.txt, images/<image id>.jpg, aesthetics_image_lists/generic_test.jpgl

Splits: `test` = the ids of generic_test.jpgl that AVA.txt rates and whose image is usable,
`train` = every other usable rated image. (The model-selection `validation` split is carved
from `train` when reading: resizer.datasets.ava.source.) Images that are missing, empty or not
decodable are skipped, counted per reason, logged, and recorded in the dataset's
metadata.json under "skipped" (ids per split and reason).
"""

from __future__ import annotations

import collections
import os

import numpy as np
import tensorflow_datasets as tfds
from absl import logging

from resizer.data import image_files
from resizer.datasets.ava import parsing

RATINGS_FILE = "AVA.txt"
TEST_LIST = os.path.join("aesthetics_image_lists", "generic_test.jpgl")


class AvaAesthetics(tfds.core.GeneratorBasedBuilder):
    """AVA: images with the 10-bin histogram of their aesthetic ratings."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First version: train/test from generic_test.jpgl, unusable images skipped."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = """\
    manual_dir should contain AVA.txt, the images/ folder of <image id>.jpg files and
    aesthetics_image_lists/generic_test.jpgl, as in the AVA distribution (AVA_dataset/).
    See WORKSPACE.md of the resizer repository.
    """

    def _info(self):
        return self.dataset_info_from_configs(
            description="AVA aesthetic visual analysis: ~255k photos with 10-bin rating histograms.",
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(None, None, 3), encoding_format="jpeg"),
                "image_id": tfds.features.Scalar(dtype=np.int64),
                "counts": tfds.features.Tensor(shape=(parsing.NUM_SCORES,), dtype=np.int32),
                "distribution": tfds.features.Tensor(shape=(parsing.NUM_SCORES,), dtype=np.float32),
                "mean_score": tfds.features.Scalar(dtype=np.float32),
            }),
            homepage="https://doi.org/10.1109/CVPR.2012.6247954",
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager):
        root = dl_manager.manual_dir
        ratings = parsing.parse_ratings(os.path.join(root, RATINGS_FILE))
        train, test, unrated = parsing.split_ratings(ratings, parsing.read_id_list(os.path.join(root, TEST_LIST)))
        if unrated:
            logging.warning("AVA: %d ids of %s are not in %s; they are left out.", len(unrated), TEST_LIST,
                            RATINGS_FILE)
        self.info.metadata["test_ids_not_rated"] = len(unrated)
        self.info.metadata[image_files.SKIPPED] = {}
        images = parsing.image_dir(os.fspath(root))
        return {"train": self._generate_examples(train, images, "train"),
                "test": self._generate_examples(test, images, "test")}

    def _generate_examples(self, ratings, images, split):
        skipped = collections.defaultdict(list)
        for rating in ratings:
            problem, data = image_files.load_image(os.path.join(images, f"{rating.image_id}.jpg"))
            if problem:
                skipped[problem].append(rating.image_id)
                continue
            yield rating.image_id, {
                "image": data,
                "image_id": rating.image_id,
                "counts": np.asarray(rating.counts, np.int32),
                "distribution": rating.distribution,
                "mean_score": np.float32(rating.mean_score),
            }
        self.info.metadata[image_files.SKIPPED][split] = dict(skipped)
        logging.warning("AVA %s: skipped images: %s.", split, image_files.summary(skipped))
