"""Bad flags found at setup name the flag: a negative --seed, --strategy=tpu where no TPU is."""

import pytest

from resizer import config
from resizer.training import runtime


def test_a_negative_seed_names_the_flag():
    with pytest.raises(ValueError, match=r"--seed: must be in \[0, 2\*\*32\), got -1"):
        config.make({"experiment": "x", "backbone": "tiny_cnn", "output": 16, "seed": -1})


def test_tpu_strategy_without_a_tpu_names_the_flag():
    with pytest.raises(ValueError, match=r"--strategy=tpu: cannot reach a TPU \(no --tpu given.*Pass --tpu="):
        runtime.make_strategy("tpu", "")
