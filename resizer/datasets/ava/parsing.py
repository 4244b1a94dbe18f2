"""The files of the AVA distribution: AVA.txt, the image id lists, and the image files.

AVA.txt has one line per image: index, image id, the vote counts for scores 1..10, two
semantic tag ids and the challenge id (15 integers separated by spaces).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

NUM_SCORES = 10
_FIELDS = 2 + NUM_SCORES + 3


@dataclasses.dataclass(frozen=True)
class Rating:
    """One AVA.txt line."""

    image_id: int
    counts: tuple  # votes for scores 1..10

    @property
    def distribution(self):
        """The votes normalised to sum to 1 (float32, 10 bins)."""
        counts = np.asarray(self.counts, np.float64)
        return (counts / counts.sum()).astype(np.float32)

    @property
    def mean_score(self):
        """The mean opinion score, in [1, 10]."""
        return float(np.dot(self.distribution.astype(np.float64), np.arange(1, NUM_SCORES + 1)))


def parse_ratings(path):
    """The Ratings of AVA.txt in file order; ValueError naming the line of a malformed one."""
    ratings, seen = [], {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            fields = line.split()
            where = f"{path}, line {number}"
            if len(fields) != _FIELDS:
                raise ValueError(f"{where}: expected {_FIELDS} integers (index, image id, 10 vote counts, "
                                 f"2 tags, challenge), got {len(fields)}: {line.strip()!r}")
            try:
                values = [int(v) for v in fields]
            except ValueError:
                raise ValueError(f"{where}: not all fields are integers: {line.strip()!r}") from None
            counts = tuple(values[2:2 + NUM_SCORES])
            if min(counts) < 0 or sum(counts) == 0:
                raise ValueError(f"{where}: vote counts must be >= 0 and not all zero, got {counts}")
            image_id = values[1]
            if image_id in seen:
                raise ValueError(f"{where}: image id {image_id} repeats line {seen[image_id]}")
            seen[image_id] = number
            ratings.append(Rating(image_id, counts))
    if not ratings:
        raise ValueError(f"{path} has no ratings.")
    return ratings


def read_id_list(path):
    """The image ids of a .jpgl list (one id per line); ValueError naming a malformed line."""
    ids = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                try:
                    ids.append(int(line))
                except ValueError:
                    raise ValueError(f"{path}, line {number}: expected an image id, got {line.strip()!r}") from None
    return ids


def split_ratings(ratings, test_ids):
    """(train, test, test ids that AVA.txt does not rate): test = the list, train = the rest."""
    test_set = set(test_ids)
    test = [r for r in ratings if r.image_id in test_set]
    train = [r for r in ratings if r.image_id not in test_set]
    rated = {r.image_id for r in ratings}
    return train, test, sorted(test_set - rated)


def image_dir(root):
    """The folder of <id>.jpg files: `images/`, or `images/images/` as some re-packs nest it."""
    nested = os.path.join(root, "images", "images")
    return nested if os.path.isdir(nested) else os.path.join(root, "images")
