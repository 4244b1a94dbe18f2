"""The cost estimate: FLOPs per image from the paper, GPU-hours on a reference card, disk of a run."""

import os
import types

import numpy as np
import pytest
import tensorflow as tf

from resizer import cost, experiments, paper
from resizer.config import Config
from resizer.models import builder
from resizer.training import checkpoints, optim


def test_resizer_flops_formula_reproduces_the_papers_overhead():
    t4 = paper.load(4)
    base = {r["model"]: r["gflops"] for r in t4 if r["resizer"] == "bilinear" and r["output"] == 224}
    for r in t4:
        if r["resizer"] == "proposed":
            overhead = r["gflops"] - base[r["model"]]
            assert cost.resizer_gflops(r["resizer_input"], 224) == pytest.approx(overhead, abs=0.011), r


def test_cost_estimate_of_a_row():
    exp = experiments.get("table4/resnet50/proposed_368")
    c = cost.estimate(exp)
    assert c.gflops == pytest.approx(8.61, abs=0.005) and c.source == "paper+resizer convs"
    # 10 fine-tuning epochs of ImageNet's 1,281,167 training images, trained at 3x and evaluated at 1x
    # the forward FLOPs: the 331 PFLOPs `reproduce.py --table 4 --dry_run` prints for this row.
    assert c.train_images == 12_811_670 and c.eval_images == 50_000
    assert c.flops == pytest.approx(331e15, rel=2e-3)
    t9 = cost.estimate(experiments.get("table9/resnet50/downscale4x"))  # 56 -> 224 up-scaling resizer
    assert t9.gflops == pytest.approx(6.97 + cost.resizer_gflops(56, 224))
    assert cost.estimate(experiments.get("table5/efficientnet_b0/bicubic_448")).gflops == 2.96


def test_gpu_hours_of_the_reference_model_are_its_images_over_the_cards_rate():
    baseline = cost.estimate(experiments.get("table4/resnet50/bilinear_224"))  # our ResNet-50, the paper's 6.97
    mine = cost.card(images_per_second=250)
    seconds = (baseline.train_images + baseline.eval_images / 3) / 250  # evaluation: the forward third of a step
    assert baseline.gpu_hours(mine) == pytest.approx(seconds / 3600)
    a100 = cost.card("a100-tf32")
    # 808 images/s of ResNet-50 v1.5 (8.18 GFLOPs) makes our 6.97-GFLOP ResNet-50 run 8.18 / 6.97 times faster.
    assert cost.RESNET50_V15_GFLOPS == pytest.approx(8.178, abs=0.001)
    assert baseline.gpu_hours(a100) == pytest.approx(seconds * 250 / (808 * 8.178 / 6.97) / 3600, rel=1e-3)
    with pytest.raises(ValueError, match="unknown card 'h100'; cards: a100-tf32, a100-amp"):
        cost.card("h100")
    with pytest.raises(ValueError, match="images_per_second must be > 0"):
        cost.card(images_per_second=float("nan"))


@pytest.mark.slow  # profiles ResNet-50 (~15 s)
def test_resnet50_v1_gflops_are_what_the_profiler_counts():
    import keras

    from resizer import flops

    counted = flops.count_flops(keras.applications.ResNet50(weights=None)) / 1e9
    assert counted == pytest.approx(cost.RESNET50_V1_GFLOPS, abs=0.0005)


def test_checkpoint_bytes_are_what_tensorflow_writes(tmp_path):
    model = builder.build("classification", "tiny_cnn", "learned", input_size=32, output_size=16, num_classes=10)
    optimizer = optim.make_optimizer(Config(), types.SimpleNamespace(decay_steps=1), model)
    step = tf.Variable(0, dtype=tf.int64)
    path = checkpoints.make_checkpoint(model, optimizer, step, settings="{}").write(str(tmp_path / "ckpt"))
    written = sum(os.path.getsize(os.path.join(tmp_path, f)) for f in os.listdir(tmp_path)
                  if f.startswith(os.path.basename(path) + ".data"))
    expected = cost.checkpoint_bytes(model, optimizer)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert expected >= 4 * 2 * trainable  # each weight and its momentum
    # Beyond the variables the data file holds the object graph (names and links, well under 300 bytes a
    # variable: about 0.1% of a ResNet-50 checkpoint).
    saved = tf.train.list_variables(path)
    assert 0 <= written - expected <= 300 * len(saved), (written, expected, len(saved))


def test_disk_of_a_row_is_its_kept_checkpoints_plus_the_one_being_written():
    exp = experiments.get("table4/resnet50/proposed_368")
    one = cost.row_checkpoint_bytes(exp)
    assert cost.estimate(exp, disk=True).disk_bytes == (Config.keep_checkpoints + 1) * one
    # ResNet50V2 with its 1000-class head and the 16-filter resizer: 25.6 M weights, each with its momentum.
    assert 2 * 4 * 25_600_000 < one < 2 * 4 * 25_700_000 + 4 * 60_000
    diagonal = experiments.get("table6/resnet50/from_resnet50")  # evaluation only: results, no checkpoints
    assert diagonal.evaluation_only and cost.estimate(diagonal, disk=True).disk_bytes == 0
