"""What an experiment costs before it runs: FLOPs, GPU-hours on a reference card, and disk.

FLOPs: FLOPs per image x images seen. Training counts 3 x forward FLOPs per image seen
(forward + backward, the usual rule of thumb: backward ~ 2 x forward), evaluation 1 x.
FLOPs per image come from the paper (the backbone's fixed-resize row at the row's output
size in a table that prints GFLOPs, TableSpec.prints_flops: Tables 4 and 5, plus the
learned resizer's convolutions counted from its shape, which reproduces the paper's resizer
overhead) or, with flops="repo" and for backbones the paper does not print, from
resizer.flops on the built model. Images seen use nominal split sizes.

GPU-hours: those FLOPs at the rate a reference card trains ResNet-50 v1.5 at 224, from a
published throughput (CARDS: NVIDIA's DeepLearningExamples measurements) or one measured on
your own card (the resnet50 line without a resizer of scripts/bench_train.py
--backbones=resnet50, run there: the images/s of our ResNet-50, the paper's 6.97 GFLOPs). Scaling by FLOPs
assumes every model runs at ResNet-50's FLOP rate: MobileNet-v2's depthwise convolutions and
the learned resizer's full-resolution convolutions run slower per FLOP (on this project's CPU,
at 368 -> 224 the resizer added 1.4x (ResNet-50), 1.8x (DenseNet-121) and 2.1x (Inception-v2)
as much step time as its share of the FLOPs: docs/training.md, "Training speed"), so for
those rows the hours are a lower bound.

Disk: a trained row's model directory holds --keep_checkpoints checkpoints, and one more
while a save is being written; a checkpoint is every model variable plus the optimiser's
(momentum SGD: one slot per trainable variable), at their dtypes' sizes. Evaluation-only rows
write results only. The dataset (prepared once, shared by every row) is not included.
"""

from __future__ import annotations

import dataclasses
import functools

from resizer import tables
from resizer.settings import DEFAULT_RESIZER, build_kwargs

# Nominal split sizes for the estimate (the runs record the real ones in results.json).
# AVA: ~255.5k rated photos, ~20k of them in generic_test.jpgl; the exact counts depend on
# which images of a copy are usable.
NOMINAL_TRAIN_EXAMPLES = {"imagenet2012": 1_281_167, "ava": 235_500, "cifar10": 50_000}
NOMINAL_EVAL_EXAMPLES = {"imagenet2012": 50_000, "ava": 20_000, "cifar10": 10_000}
TRAIN_FLOPS_FACTOR = 3  # forward + backward ~ 3 x forward
FLOPS_SOURCES = ("paper", "repo")

# ResNet-50 v1.5 at 224 counted as resizer.flops counts (Conv2D + MatMul, 2 per multiply-add):
# keras.applications.ResNet50 (v1) profiles 7.716 GFLOPs; v1.5 moves the stride of the three
# down-sampling blocks from their first 1x1 convolution to the 3x3, so that 1x1 runs at 4x the
# positions: 3 x (28^2 x 256 x 128 + 14^2 x 512 x 256 + 7^2 x 1024 x 512) more multiply-adds.
RESNET50_V1_GFLOPS = 7.716
RESNET50_V15_GFLOPS = RESNET50_V1_GFLOPS + 2 * 3 * (28**2 * 256 * 128 + 14**2 * 512 * 256 + 7**2 * 1024 * 512) / 1e9

# NVIDIA DeepLearningExamples, TensorFlow/Classification/ConvNets/resnet50v1.5/README.md, "Training
# performance results": 1 GPU, batch 256 (V100 FP32: 128), TensorFlow 20.06-tf1 NGC container, images/s
# averaged over an entire training epoch. The same README's 90-epoch times (A100 TF32 + XLA ~40 h)
# agree with these rates.
_NVIDIA = "NVIDIA DeepLearningExamples' measurement"


@dataclasses.dataclass(frozen=True)
class Card:
    """A reference card: how fast it trains a reference model, and where that figure is from."""

    name: str
    label: str
    images_per_second: float  # training throughput of the reference model
    source: str
    reference_gflops: float = RESNET50_V15_GFLOPS  # forward GFLOPs per image of that model
    reference: str = "ResNet-50 v1.5"

    @property
    def flops_per_second(self):
        """The training FLOP rate the figure implies (forward + backward, as estimate() counts)."""
        return self.images_per_second * TRAIN_FLOPS_FACTOR * self.reference_gflops * 1e9


CARDS = {card.name: card for card in (
    Card("a100-tf32", "1x A100 40GB, TF32 + XLA", 808, _NVIDIA),
    Card("a100-amp", "1x A100 40GB, mixed precision + XLA", 1770, _NVIDIA),
    Card("v100-fp32", "1x V100 16GB, FP32 + XLA", 412, _NVIDIA),
    Card("v100-amp", "1x V100 16GB, mixed precision + XLA", 1270, _NVIDIA),
)}
DEFAULT_CARD = "a100-tf32"  # the tables train in float32 (--mixed_precision off), which Ampere runs as TF32


def card(name=DEFAULT_CARD, images_per_second=None, reference_gflops=None):
    """A registered card, or one measured by you: images_per_second of a model of reference_gflops
    (default: our ResNet-50 at 224, as scripts/bench_train.py times it)."""
    if images_per_second is not None:
        if not images_per_second > 0:
            raise ValueError(f"images_per_second must be > 0 (what your card trains ResNet-50 at), got "
                             f"{images_per_second}")
        gflops = _paper_backbone_gflops("resnet50", 224) if reference_gflops is None else reference_gflops
        return Card("measured", "your card", images_per_second, "your measurement", gflops, "our ResNet-50")
    if name not in CARDS:
        raise ValueError(f"unknown card {name!r}; cards: {', '.join(CARDS)} (or give a measured images/s)")
    return CARDS[name]


def resizer_gflops(resizer_input, output, n=DEFAULT_RESIZER["filters"], r=DEFAULT_RESIZER["res_blocks"]):
    """Forward GFLOPs of the learned resizer's convolutions (2 per multiply-add), as the profiler counts.

    7x7 (3->n) and 1x1 (n->n) at the input size; r blocks of two 3x3, one 3x3 (n->n) and the
    7x7 (n->3) at the output size. 224->224: 1.19, 368->224: 1.64, as the paper's FLOPS differences.
    """
    at_input = resizer_input ** 2 * (49 * 3 * n + n * n)
    at_output = output ** 2 * (r * 2 * 9 * n * n + 9 * n * n + 49 * n * 3)
    return 2 * (at_input + at_output) / 1e9


def _paper_backbone_gflops(backbone, output):
    """The paper's GFLOPs of a backbone alone at `output` (a fixed-resize row of a table that
    prints GFLOPs), or None."""
    for spec in tables.specs():
        if spec.prints_flops:
            for row in tables.rows(spec.number):
                if row.backbone == backbone and row.settings["resizer"] != "learned" and row.settings["output"] == output:
                    return row.gflops
    return None


def paper_gflops(exp):
    base = _paper_backbone_gflops(exp.backbone, exp.output)
    if base is None:
        return None
    if exp.resizer != "learned":
        return base
    return base + resizer_gflops(exp.resizer_input, exp.output, exp.filters, exp.res_blocks)


def _key(exp, sizes=True):
    """An experiment's model as its build arguments (without the sizes: they change no variable)."""
    kwargs = build_kwargs(exp.settings(), exp.task, exp.info.num_classes)
    return tuple(sorted((k, v) for k, v in kwargs.items() if sizes or k not in ("input_size", "output_size")))


@functools.lru_cache(maxsize=1)  # a row's FLOPs and its checkpoint size come from one build
def _model(key):
    from resizer import models

    return models.build(**dict(key))


@functools.cache
def _repo_gflops(key):
    from resizer import flops

    return flops.count_flops(_model(key)) / 1e9


def repo_gflops(exp):
    """GFLOPs of the experiment's model as the repo builds it (builds the model once: seconds to a minute)."""
    return _repo_gflops(_key(exp))


def checkpoint_bytes(model, optimizer):
    """Bytes of the variables a checkpoint of (model, built optimizer) holds."""
    import numpy as np

    variables = {id(v): v for v in list(model.weights) + list(optimizer.variables)}
    return sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in variables.values())


_CHECKPOINT_BYTES = {}  # the build arguments but the sizes -> bytes: one build per model, not per row


def row_checkpoint_bytes(exp):
    """Bytes of one checkpoint of a trained experiment (builds its model, once per model)."""
    import types

    from resizer.config import Config
    from resizer.training import optim

    key = _key(exp, sizes=False)
    if key not in _CHECKPOINT_BYTES:
        model = _model(_key(exp))
        # The training run's own optimiser (its slots are what a checkpoint adds to the model);
        # the schedule's decay steps do not change its variables.
        optimizer = optim.make_optimizer(Config(), types.SimpleNamespace(decay_steps=1), model)
        _CHECKPOINT_BYTES[key] = checkpoint_bytes(model, optimizer)
    return _CHECKPOINT_BYTES[key]


def disk_bytes(exp):
    """Peak bytes of an experiment's model directory: --keep_checkpoints + 1 checkpoints while
    a save is written (0 for evaluation-only rows, which write results only)."""
    from resizer.config import Config

    if exp.evaluation_only:
        return 0
    return (Config.keep_checkpoints + 1) * row_checkpoint_bytes(exp)


@dataclasses.dataclass(frozen=True)
class Cost:
    gflops: float | None  # forward, per image
    source: str  # "paper", "paper+resizer convs" or "repo"
    train_images: float | None  # images seen in training (epochs x train examples)
    eval_images: int | None
    disk_bytes: int | None = None  # peak of the model directory

    @property
    def flops(self):
        if self.gflops is None or self.train_images is None or self.eval_images is None:
            return None
        return self.gflops * 1e9 * (TRAIN_FLOPS_FACTOR * self.train_images + self.eval_images)

    def gpu_hours(self, on):
        """Hours on Card `on` (None without a FLOPs estimate)."""
        return None if self.flops is None else self.flops / on.flops_per_second / 3600


def estimate(exp, flops_source="paper", disk=False):
    """The Cost of one experiment (see the module doc for the rules); disk=True also builds
    the model once to size its checkpoints."""
    if flops_source not in FLOPS_SOURCES:
        raise ValueError(f"flops source {flops_source!r}: expected one of {FLOPS_SOURCES}")
    gflops, source = None, "repo"
    if flops_source == "paper":
        gflops, source = paper_gflops(exp), "paper" if exp.resizer != "learned" else "paper+resizer convs"
    if gflops is None:  # a backbone or size the paper does not print (demo, CIFAR-10 sizes)
        gflops, source = repo_gflops(exp), "repo"
    train_examples = NOMINAL_TRAIN_EXAMPLES.get(exp.dataset)
    eval_examples = NOMINAL_EVAL_EXAMPLES.get(exp.dataset)
    train_images = None if train_examples is None else exp.train_epochs * train_examples
    return Cost(gflops, source, train_images, eval_examples, disk_bytes(exp) if disk else None)
