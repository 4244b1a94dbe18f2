"""Fast: our variable map against the variables TF-slim's own network creates (names and shapes).

tests/test_slim_parity.py (slow) also compares logits; this runs in `make test`, so that a
stem, a branch or a shape that differs from slim's is caught without the slow suite. The map
(resizer.models.inception_v2_slim) is ours: only slim's graph can check it."""

import importlib
import sys

import pytest
import tensorflow as tf

tf_slim = pytest.importorskip("tf_slim", reason="tf-slim (test-only requirement) is not installed")

from resizer.models import build  # noqa: E402
from resizer.models.inception_v2_slim import LOGITS, backbone_variables  # noqa: E402

for _name in ("legacy_tf_layers", "legacy_tf_layers.normalization"):  # see test_slim_parity's alias
    sys.modules.setdefault(f"tf_keras.{_name}", importlib.import_module(f"tf_keras.src.{_name}"))


def test_our_map_has_every_slim_variable_with_its_shape():
    from tf_slim.nets import inception_v2 as slim_net

    with tf.Graph().as_default():
        images = tf.compat.v1.placeholder(tf.float32, (1, 224, 224, 3))
        with tf_slim.arg_scope(slim_net.inception_v2_arg_scope()):
            slim_net.inception_v2(images, num_classes=1001, is_training=False)
        slims = {v.op.name: tuple(v.shape.as_list()) for v in tf.compat.v1.global_variables()}
    ours = {name: tuple(v.shape) for name, v in
            backbone_variables(build("classification", "inception_v2", "bilinear", 224, 224).get_layer("backbone")).items()}
    head = {f"{LOGITS}/weights", f"{LOGITS}/biases"}
    assert set(slims) - head == set(ours)
    assert {n: s for n, s in slims.items() if n not in head} == ours
