"""FLOPs counted like the paper's Tables 4 and 5: hand-checked counts, the resizer's share,
and a sample of published rows within the stated bounds."""

import os
import subprocess
import sys

import keras
import pytest

from resizer import tables
from resizer.flops import count_flops, flops_by_op, measure_table
from resizer.models import build

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARES = {224: 1.19, 256: 1.27, 320: 1.47, 368: 1.64, 448: 1.98}  # proposed row minus the 224 baseline


def test_counts_convolutions_and_matmuls_but_not_resize_or_leaky_relu():
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Resizing(8, 8, interpolation="bilinear")(inputs)
    x = keras.layers.Conv2D(4, 3, padding="same", use_bias=False)(x)
    x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(5, use_bias=False)(x)
    model = keras.Model(inputs, outputs)
    conv = 2 * 3 * 3 * 3 * 4 * 8 * 8
    depthwise = 2 * 3 * 3 * 4 * 8 * 8
    matmul = 2 * 4 * 5
    assert count_flops(model) == conv + depthwise + matmul
    by_op = flops_by_op(model)
    assert by_op["Conv2D"] == conv and by_op["DepthwiseConv2dNative"] == depthwise and by_op["MatMul"] == matmul
    assert not any(op.startswith("Resize") or op == "LeakyRelu" for op in by_op)


@pytest.mark.parametrize("size", [224, 448])
def test_resizer_share_matches_the_paper(size):
    # The resizer's FLOPs do not depend on the backbone: measure them with the tiny one.
    proposed = count_flops(build("classification", "tiny_cnn", "learned", size, 224))
    baseline = count_flops(build("classification", "tiny_cnn", "bilinear", 224, 224))
    assert (proposed - baseline) / 1e9 == pytest.approx(SHARES[size], rel=0.01)


SAMPLE = {
    # Inception-v2's 224 baseline is checked in test_inception_v2.py.
    4: [("mobilenet_v2", "bilinear", None, 224), ("mobilenet_v2", "bilinear", None, 448),
        ("mobilenet_v2", "proposed", 368, 224), ("resnet50", "bilinear", None, 224),
        ("densenet121", "bilinear", None, 224)],
    5: [("efficientnet_b0", "bicubic", None, 224), ("efficientnet_b0", "proposed", 256, 224)],
}


@pytest.mark.slow
@pytest.mark.parametrize("table", [4, 5])
def test_sample_of_published_rows_within_bounds(table):
    wanted = set(SAMPLE[table])
    rows = [r for r in tables.rows(table) if (r.paper["model"], r.paper["resizer"], r.paper["resizer_input"],
                                              r.paper["output"]) in wanted]
    assert len(rows) == len(wanted)
    for result in measure_table(table, rows):
        label = f"{result['model']} {result['resizer']} {result['resizer_input']}->{result['output']}"
        if result["resizer"] == "proposed":
            assert result["share_ratio"] == pytest.approx(1.0, abs=0.01), label
            assert result["measured_resizer_share"] == pytest.approx(SHARES[result["resizer_input"]], rel=0.01)
        elif result["model"] == "efficientnet_b0":
            assert result["ratio"] == pytest.approx(1.0, abs=0.05), label
        else:
            assert result["ratio"] == pytest.approx(1.0, abs=0.02), label


def test_script_rejects_an_unknown_model():
    run = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "flops.py"), "--table=5",
                          "--models=resnet50"], capture_output=True, text=True)
    assert run.returncode != 0
    assert "Table 5 has no model resnet50" in run.stderr


def test_aligned_output_lines_up_columns():
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import flops as script

    rows = [dict(model="m", resizer="proposed", resizer_input=448, output=224, paper_gflops=1.0,
                 measured_gflops=1.01, ratio=1.01, paper_resizer_share=None, measured_resizer_share=None,
                 share_ratio=None)]
    lines = script.aligned(rows).splitlines()
    assert len(lines) == 2 and len(lines[0]) == len(lines[1])
    assert lines[1].split()[:4] == ["m", "proposed", "448", "224"]
