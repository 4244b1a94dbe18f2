"""Table 5: AVA PLCC/SRCC and GFLOPs, learned resizer against bicubic, per size."""

from resizer import experiments as ex
from resizer.families import imagenet
from resizer.tables import kinds
from resizer.tables.spec import TableSpec

NUMBER = 5
TASK, DATASET = "iqa", "ava"


# The AVA baseline of a backbone (bicubic to 224, fine-tuned from its ImageNet baseline), and the learned rows.
baseline, proposed_name = kinds.names(NUMBER, "bicubic")


def rows():
    return kinds.flops_rows(NUMBER, TASK, DATASET)


def _bicubic(row, size):
    bb = row.backbone
    return ex.Experiment(
        f"table5/{bb}/bicubic_{size}", NUMBER, DATASET, bb, "bicubic", output=size, batch_size=row.batch_size,
        init_backbone_from=imagenet.baseline(bb) if size == 224 else baseline(bb), row=row,
        description=f"Table 5: {bb}, bicubic to {size}, fine-tuned from " +
        ("the ImageNet baseline" if size == 224 else "the 224 baseline"))


def experiments(rows):
    return kinds.size_experiments(rows, NUMBER, DATASET, (baseline, proposed_name), _bicubic, where=" on AVA")


SPEC = TableSpec(
    number=NUMBER, datasets={TASK: DATASET}, rows=rows, experiments=experiments, figure="flops_curves",
    prints_flops=True, shared_files={DATASET: ("AVA aesthetic quality assessment, Tables 5, 7 and 8.", {})})
