"""The registry of every experiment: one per table row, per baseline a row starts from, per
Section 4.3 run that no table holds, and the demo's two models.

An experiment's name is its flag file's path under configs/ without `.flags`
(`table4/resnet50/proposed_368` <-> `configs/table4/resnet50/proposed_368.flags`), and its
default model directory is `runs/<name>`. `scripts/make_configs.py` writes the flag files from
this registry; tests/test_experiments.py checks that files, registry and the published
tables (`resizer.paper`) agree.

Which run starts from which (our reading of Sections 4, 4.3 and Table 3; see docs/training.md):
  * `table4/<backbone>/bilinear_224` is the default baseline (stage 1). It trains from
    scratch at learning rate 0.05 (no pretrained weights can be downloaded here; set
    `--backbone_weights=imagenet` and `--learning_rate=0.005` to fine-tune Keras' weights).
  * every other Table 4 row fine-tunes that baseline (0.005): the bilinear rows at their
    larger size, the proposed rows with a randomly initialised resizer in front (stage 2).
  * `table5/<backbone>/bicubic_224` fine-tunes the ImageNet baseline of its backbone (Table 3:
    pre-trained baselines); EfficientNet-b0, absent from Table 4, gets its own ImageNet
    baseline `imagenet/efficientnet_b0/bilinear_224`. The other Table 5 rows fine-tune it.
  * Tables 6 and 7: the target's default baseline plus the initial backbone's trained
    368->224 resizer, re-tuned jointly for 4 epochs. The diagonal is the Table 4/5 model itself,
    evaluated again (the paper prints the same numbers), so those rows only evaluate.
  * Table 8: the (r, n) = (1, 16) cells are the Table 4/5 368->224 models, evaluated again;
    the other cells train like `proposed_368` with another (r, n).
  * Table 9: the ResNet-50 baseline plus a new resizer, trained on distorted images (4x
    down-scaled images are up-scaled 56 -> 224 by the resizer; the others keep 224).
  * Section 4.3: a CIFAR-10 ResNet-50 baseline fine-tuned from the ImageNet one, then the
    ImageNet-trained ResNet-50 resizer re-tuned with it; and the trained 368->224 resizers put
    in front of another backbone's baseline without re-tuning (evaluation only).

Importing this module does not import TensorFlow.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Optional

from resizer import paper

IMAGENET_BACKBONES = ("inception_v2", "densenet121", "resnet50", "mobilenet_v2")
AVA_BACKBONES = ("inception_v2", "densenet121", "efficientnet_b0")
SIZES = (224, 256, 320, 368, 448)
BATCH = {224: 128, 256: 96, 320: 64, 368: 48, 448: 32}  # Tables 4 and 5
TABLE8_RN = ((1, 16), (2, 16), (1, 32), (2, 32))
TABLE9_DISTORTIONS = ("downscale4x", "gaussian_noise_0.1", "jpeg_q10")

LR_SCRATCH = 0.05    # Section 4
LR_FINETUNE = 0.005  # Section 4
# Our choices: the paper gives no epoch counts except "about 4 epochs" for Tables 6 and 7.
EPOCHS_SCRATCH = 100
EPOCHS_FINETUNE = 10
EPOCHS_RETUNE = 4
DEMO_EPOCHS = 6

DATASETS = {  # dataset -> (task, the pipeline's fixed resize, flag file of the dataset)
    "imagenet2012": ("classification", "bilinear", "imagenet"),
    "ava": ("iqa", "bicubic", "ava"),
    "cifar10": ("classification", "bilinear", "cifar10"),
    "synthetic": ("classification", "bilinear", "demo"),
}


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One run: what it trains (or only evaluates), and what it starts from.

    `init_backbone_from` / `init_resizer_from` name other experiments whose final
    checkpoints provide the backbone (with its head when the task matches) and the learned
    resizer; `epochs == 0` means evaluation only (the model is assembled from those).
    """

    name: str
    table: Optional[int]
    dataset: str
    backbone: str
    resizer: str                      # learned, bilinear or bicubic
    output: int
    batch_size: int
    resizer_input: Optional[int] = None
    filters_n: Optional[int] = None
    res_blocks_r: Optional[int] = None
    distortion: Optional[str] = None
    init_backbone_from: Optional[str] = None
    init_resizer_from: Optional[str] = None
    learning_rate: float = LR_FINETUNE
    epochs: float = EPOCHS_FINETUNE
    description: str = ""

    @property
    def task(self):
        return DATASETS[self.dataset][0]

    @property
    def interpolation(self):
        return DATASETS[self.dataset][1]

    @property
    def flagfile(self):
        return f"configs/{self.name}.flags"

    @property
    def parent_flagfile(self):
        """The backbone-level flag file the row's file includes."""
        return f"configs/{DATASETS[self.dataset][2]}/{self.backbone}.flags"

    @property
    def evaluation_only(self):
        return self.epochs == 0

    @property
    def depends_on(self):
        """Experiments that must have finished first (their checkpoints are read)."""
        return tuple(dict.fromkeys(n for n in (self.init_backbone_from, self.init_resizer_from) if n))

    def model_dir(self, runs_dir="runs"):
        return f"{runs_dir}/{self.name}"

    @property
    def reuses_a_model(self):
        """Evaluation only, with backbone and resizer from one run: that run's model, again."""
        return self.evaluation_only and self.init_resizer_from and self.init_resizer_from == self.init_backbone_from

    def settings(self):
        """The settings that define the row, as `results.json` records them (crops aside).

        `init_resizer_from` is the backbone of the run whose trained resizer started this one;
        a run that only re-evaluates another run's model (`reuses_a_model`) inherits that
        run's value (the Table 6/7 diagonal and Table 8's (1, 16) cells: None)."""
        if self.reuses_a_model:
            init_backbone = EXPERIMENTS[self.init_resizer_from].settings()["init_resizer_from"]
        else:
            init_backbone = EXPERIMENTS[self.init_resizer_from].backbone if self.init_resizer_from else None
        return {
            "backbone": self.backbone,
            "resizer": self.resizer,
            "resizer_input": self.resizer_input,
            "output": self.output,
            "filters_n": self.filters_n,
            "res_blocks_r": self.res_blocks_r,
            "batch_size": self.batch_size,
            "interpolation": self.interpolation,
            "distortion": self.distortion,
            "init_resizer_from": init_backbone,
        }

    def flags(self):
        """The row-level flags of its flag file (the rest comes from the included files)."""
        values = {
            "experiment": self.name,
            "table": self.table if self.table is not None else "",
            "resizer": self.resizer,
            "resizer_input": self.resizer_input if self.resizer_input is not None else "",
            "output": self.output,
            "batch_size": self.batch_size,
        }
        if self.resizer == "learned":
            values.update(filters=self.filters_n, res_blocks=self.res_blocks_r)
        values.update(distortion=self.distortion or "",
                      init_backbone_from=self.init_backbone_from or "",
                      init_resizer_from=self.init_resizer_from or "",
                      learning_rate=self.learning_rate,
                      train_epochs=self.epochs)
        return {k: str(v) for k, v in values.items()}


def _proposed(name, table, dataset, backbone, size, baseline, **kw):
    return Experiment(name, table, dataset, backbone, "learned", output=224, batch_size=BATCH[size],
                      resizer_input=size, filters_n=16, res_blocks_r=1,
                      init_backbone_from=baseline, **kw)


def _build():
    exps = []
    add = exps.append
    for bb in IMAGENET_BACKBONES:
        base = f"table4/{bb}/bilinear_224"
        for s in SIZES:
            add(_proposed(f"table4/{bb}/proposed_{s}", 4, "imagenet2012", bb, s, base,
                          description=f"Table 4: {bb}, learned resizer {s} -> 224, joint fine-tuning"))
        for s in SIZES:
            scratch = s == 224
            add(Experiment(f"table4/{bb}/bilinear_{s}", 4, "imagenet2012", bb, "bilinear", output=s,
                           batch_size=BATCH[s], init_backbone_from=None if scratch else base,
                           learning_rate=LR_SCRATCH if scratch else LR_FINETUNE,
                           epochs=EPOCHS_SCRATCH if scratch else EPOCHS_FINETUNE,
                           description=f"Table 4: {bb}, bilinear to {s}" +
                           (" (the default baseline, stage 1)" if scratch else ", fine-tuned from the 224 baseline")))
    add(Experiment("imagenet/efficientnet_b0/bilinear_224", None, "imagenet2012", "efficientnet_b0", "bilinear",
                   output=224, batch_size=128, learning_rate=LR_SCRATCH, epochs=EPOCHS_SCRATCH,
                   description="ImageNet baseline of EfficientNet-b0 (in no table): starts the Table 5 baseline"))
    for bb in AVA_BACKBONES:
        imagenet = "imagenet/efficientnet_b0/bilinear_224" if bb == "efficientnet_b0" else f"table4/{bb}/bilinear_224"
        base = f"table5/{bb}/bicubic_224"
        for s in SIZES:
            add(_proposed(f"table5/{bb}/proposed_{s}", 5, "ava", bb, s, base,
                          description=f"Table 5: {bb}, learned resizer {s} -> 224, joint fine-tuning on AVA"))
        for s in SIZES:
            add(Experiment(f"table5/{bb}/bicubic_{s}", 5, "ava", bb, "bicubic", output=s, batch_size=BATCH[s],
                           init_backbone_from=imagenet if s == 224 else base,
                           description=f"Table 5: {bb}, bicubic to {s}, fine-tuned from " +
                           ("the ImageNet baseline" if s == 224 else "the 224 baseline")))
    for table, dataset, backbones, source_table, base_name in (
            (6, "imagenet2012", IMAGENET_BACKBONES, 4, "bilinear_224"),
            (7, "ava", AVA_BACKBONES, 5, "bicubic_224")):
        for target in backbones:
            for initial in backbones:
                trained = f"table{source_table}/{initial}/proposed_368"
                same = target == initial
                add(_proposed(f"table{table}/{target}/from_{initial}", table, dataset, target, 368,
                              trained if same else f"table{source_table}/{target}/{base_name}",
                              init_resizer_from=trained, epochs=0 if same else EPOCHS_RETUNE,
                              description=f"Table {table}: {initial}'s 368 -> 224 resizer " +
                              ("(the Table %d model, evaluated)" % source_table if same
                               else f"re-tuned with the {target} baseline")))
    for dataset, backbones, source_table in (("imagenet2012", IMAGENET_BACKBONES, 4), ("ava", AVA_BACKBONES, 5)):
        short = DATASETS[dataset][2]
        base_name = "bilinear_224" if source_table == 4 else "bicubic_224"
        for bb in backbones:
            for r, n in TABLE8_RN:
                default = (r, n) == (1, 16)
                trained = f"table{source_table}/{bb}/proposed_368"
                exp = _proposed(f"table8/{short}/{bb}/r{r}_n{n}", 8, dataset, bb, 368,
                                trained if default else f"table{source_table}/{bb}/{base_name}",
                                init_resizer_from=trained if default else None, epochs=0 if default else EPOCHS_FINETUNE,
                                description=f"Table 8: {bb} on {dataset}, resizer r={r}, n={n}, 368 -> 224" +
                                (" (the Table %d model, evaluated)" % source_table if default else ""))
                add(dataclasses.replace(exp, filters_n=n, res_blocks_r=r))
    for distortion in TABLE9_DISTORTIONS:
        size = 56 if distortion == "downscale4x" else 224
        add(Experiment(f"table9/resnet50/{distortion}", 9, "imagenet2012", "resnet50", "learned", output=224,
                       batch_size=128, resizer_input=size, filters_n=16, res_blocks_r=1, distortion=distortion,
                       init_backbone_from="table4/resnet50/bilinear_224",
                       description=f"Table 9: ResNet-50 with a resizer trained on {distortion} images ({size} -> 224)"))
    add(Experiment("generalization/cifar10_resnet50/bilinear_224", None, "cifar10", "resnet50", "bilinear",
                   output=224, batch_size=128, init_backbone_from="table4/resnet50/bilinear_224",
                   description="Section 4.3: CIFAR-10 ResNet-50 baseline (paper: 6.9% top-1 error), "
                               "fine-tuned from the ImageNet baseline"))
    add(_proposed("generalization/cifar10_resnet50/imagenet_resizer_368", None, "cifar10", "resnet50", 368,
                  "generalization/cifar10_resnet50/bilinear_224", init_resizer_from="table4/resnet50/proposed_368",
                  epochs=EPOCHS_RETUNE,
                  description="Section 4.3: the ImageNet ResNet-50 resizer re-tuned with the CIFAR-10 baseline "
                              "(paper: 0.4 points below the baseline's error)"))
    for target in IMAGENET_BACKBONES:
        for initial in IMAGENET_BACKBONES:
            if target != initial:
                add(_proposed(f"generalization/no_retuning/{target}/from_{initial}", None, "imagenet2012", target,
                              368, f"table4/{target}/bilinear_224", init_resizer_from=f"table4/{initial}/proposed_368",
                              epochs=0, description=f"Section 4.3: {initial}'s trained resizer in front of the "
                                                    f"{target} baseline, no re-tuning (evaluation only)"))
    # The demo (our choice): a from-scratch rate of 0.01, not 0.05, because 0.05 left the
    # learned-resizer model's batch-norm statistics unstable at this scale (docs/training.md).
    add(Experiment("demo/bilinear_16", None, "synthetic", "tiny_cnn", "bilinear", output=16, batch_size=32,
                   learning_rate=0.01, epochs=DEMO_EPOCHS,
                   description="Demo: the small classifier on 64 px generated images shrunk to 16 px by bilinear"))
    add(Experiment("demo/learned_64", None, "synthetic", "tiny_cnn", "learned", output=16, batch_size=32,
                   resizer_input=64, filters_n=16, res_blocks_r=1, learning_rate=0.01, epochs=DEMO_EPOCHS,
                   description="Demo: the same classifier behind a learned 64 -> 16 resizer, trained jointly"))
    return {e.name: e for e in exps}


EXPERIMENTS = _build()


def get(name):
    """The experiment called `name` (its flag file path under configs/ without .flags)."""
    try:
        return EXPERIMENTS[name]
    except KeyError:
        close = difflib.get_close_matches(name, EXPERIMENTS, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"No experiment {name!r} in resizer.experiments.{hint}") from None


def names(table=None):
    """All experiment names (registry order), or those reproducing one table."""
    return [n for n, e in EXPERIMENTS.items() if table is None or e.table == table]


def in_dependency_order(selected):
    """`selected` names plus everything they start from, each after its dependencies."""
    order, state = [], {}

    def visit(name, chain):
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ValueError(f"dependency cycle: {' -> '.join(chain + [name])}")
        state[name] = "visiting"
        for dep in get(name).depends_on:
            visit(dep, chain + [name])
        state[name] = "done"
        order.append(EXPERIMENTS[name])

    for name in selected:
        visit(name, [])
    return order


def _published_key(exp):
    """(table, predicate on a published row) that finds the row an experiment reproduces."""
    e = exp
    if e.table in (4, 5):
        res = "proposed" if e.resizer == "learned" else e.resizer
        size = e.resizer_input if e.resizer == "learned" else e.output
        return lambda r: (r["model"], r["resizer"], r["resizer_input"] if res == "proposed" else r["output"]) == (
            e.backbone, res, size)
    if e.table in (6, 7):
        initial = EXPERIMENTS[e.init_resizer_from].backbone
        return lambda r: (r["target_model"], r["initial_model"]) == (e.backbone, initial)
    if e.table == 8:
        return lambda r: (r["task"], r["model"], r["res_blocks_r"], r["filters_n"]) == (
            e.task, e.backbone, e.res_blocks_r, e.filters_n)
    if e.table == 9:
        return lambda r: (r["model"], r["method"], r["distortion"]) == (e.backbone, "proposed", e.distortion)
    return None


def published_row(exp, raw=False):
    """The published row an experiment reproduces (a dict from resizer.paper.load), or None.
    With raw=True the cells are the strings the paper prints."""
    match = _published_key(exp)
    if match is None:
        return None
    rows = paper.load(exp.table)
    found = [i for i, r in enumerate(rows) if match(r)]
    if len(found) != 1:
        raise ValueError(f"{exp.name}: expected one row of Table {exp.table}, found {len(found)}")
    return (paper.load(exp.table, raw=True) if raw else rows)[found[0]]
