"""The README's Python examples run as printed."""

import os
import re

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def python_blocks():
    with open(os.path.join(ROOT, "README.md")) as f:
        return re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)


def test_layer_example_builds_a_working_model():
    blocks = python_blocks()
    assert blocks, "README has no python example"
    namespace = {}
    exec(blocks[0], namespace)
    model = namespace["model"]
    # Any input size in, 1000 logits out, and the resizer sits in front of the backbone.
    for hw in [(300, 260), (224, 224)]:
        out = model(np.random.rand(1, *hw, 3).astype("float32"))
        assert out.shape == (1, 1000)
