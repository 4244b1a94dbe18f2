"""Table 4: ImageNet top-1/top-5 error and GFLOPs, learned resizer against bilinear, per size."""

from resizer import experiments as ex
from resizer.tables import kinds
from resizer.tables.spec import TableSpec

NUMBER = 4
TASK, DATASET = "classification", "imagenet2012"

# The default baseline of a backbone (stage 1: bilinear to 224, from scratch), and the learned rows.
baseline, proposed_name = kinds.names(NUMBER, "bilinear")


def rows():
    return kinds.flops_rows(NUMBER, TASK, DATASET)


def _bilinear(row, size):
    bb, scratch = row.backbone, size == 224
    return ex.Experiment(
        f"table4/{bb}/bilinear_{size}", NUMBER, DATASET, bb, "bilinear", output=size,
        batch_size=row.batch_size, init_backbone_from=None if scratch else baseline(bb),
        learning_rate=ex.LR_SCRATCH if scratch else ex.LR_FINETUNE,
        train_epochs=ex.EPOCHS_SCRATCH if scratch else ex.EPOCHS_FINETUNE, row=row,
        description=f"Table 4: {bb}, bilinear to {size}" +
        (" (the default baseline, stage 1)" if scratch else ", fine-tuned from the 224 baseline"))


def experiments(rows):
    return kinds.size_experiments(rows, NUMBER, DATASET, (baseline, proposed_name), _bilinear)


SPEC = TableSpec(
    number=NUMBER, datasets={TASK: DATASET}, rows=rows, experiments=experiments, figure="flops_curves",
    prints_flops=True,
    shared_files={DATASET: ("ImageNet (ILSVRC 2012) classification, Table 4, 6, 8 and 9.", {})})
