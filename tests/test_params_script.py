"""scripts/params.py reproduces Table 2 exactly."""

import os
import subprocess
import sys

from resizer import paper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_params_script_prints_table2_cell_for_cell():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "params.py")],
                         capture_output=True, text=True, check=True).stdout
    first_block = out.split("\n\n")[0].strip().splitlines()
    published = [",".join(r.values()) for r in paper.load(2, raw=True)]
    assert first_block == ["filters_n,res_blocks_r,params_thousands"] + published
    # The second block: Keras counts are larger (biases, BN) but the conv weights agree.
    full = out.split("\n\n")[1].strip().splitlines()[1:]
    for line, row in zip(full, paper.load(2)):
        n, r, conv, trainable, non_trainable = map(int, line.split(","))
        assert (n, r) == (row["filters_n"], row["res_blocks_r"])
        assert trainable > conv and non_trainable > 0
        assert conv // 10 == round(row["params_thousands"] * 100)


def test_truncation_not_rounding():
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    from params import truncate_thousands
    assert truncate_thousands(21088) == "21.08"   # rounding would give 21.09
    assert truncate_thousands(11872) == "11.87"
    assert truncate_thousands(93376) == "93.37"
