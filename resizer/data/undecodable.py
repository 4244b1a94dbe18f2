"""Undecodable images: found when a dataset is prepared, and skipped if met anyway.

Real datasets hold a few files that do not decode (a truncated or garbled JPEG). Builders
that check their images (imagenet2012, ava) skip them while preparing
(resizer.data.image_files.decode_bytes), and record their ids. Data prepared otherwise (an
old preparation, a user's folder) may still hold one; the pipeline drops an example whose decoding fails rather than stopping a
multi-day run at the same step on every restart (`skip_failed`): tf.data logs each dropped
example with its error ("Ignoring an error: ... Invalid JPEG data"), and an evaluation
counts the examples it saw (results.json split_size).
"""

from __future__ import annotations


def skip_failed(ds):
    """`ds` (mapped through decoding) without the examples whose decoding failed, each logged."""
    return ds.ignore_errors(log_warning=True)
