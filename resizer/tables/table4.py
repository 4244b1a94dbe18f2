"""Table 4: ImageNet top-1/top-5 error and GFLOPs, learned resizer against bilinear, per size."""

from resizer import experiments as ex
from resizer import results
from resizer.tables.spec import PublishedRow, TableSpec, paper_rows, printed_numbers, row_settings

NUMBER = 4
TASK, DATASET = "classification", "imagenet2012"


def baseline(backbone):
    """The default baseline of a backbone (stage 1: bilinear to 224, from scratch)."""
    return f"table4/{backbone}/bilinear_224"


def proposed_name(backbone, size=368):
    return f"table4/{backbone}/proposed_{size}"


def flops_rows(number, task, dataset):
    """The rows of a FLOPs table (4 or 5): proposed resizer at its input size, or the baseline resize."""
    rows = []
    for r, raw in paper_rows(number):
        learned = r["resizer"] == "proposed"
        if learned:
            settings = row_settings({"backbone": r["model"], "resizer": "learned", "resizer_input": r["resizer_input"],
                                     "output": r["output"]})
            label = f"{r['model']} proposed {r['resizer_input']}->224"
        else:
            settings = row_settings({"backbone": r["model"], "resizer": r["resizer"], "output": r["output"]})
            label = f"{r['model']} {r['resizer']} {r['output']}"
        rows.append(PublishedRow(number, task, dataset, label, settings, {m: r[m] for m in results.METRICS[task]},
                                 printed_numbers(raw), r, r["gflops"], r["batch_size"]))
    return rows


def rows():
    return flops_rows(NUMBER, TASK, DATASET)


def size_experiments(rows, number, dataset, names, fixed, where=""):
    """Experiments of a FLOPs table's rows: a proposed row fine-tunes the table's baseline with a
    new resizer in front; fixed(row, size) makes a fixed-resize row's. names: (baseline,
    proposed_name) of the table."""
    baseline_of, proposed_name_of = names
    exps = []
    for row in rows:
        bb, s = row.backbone, row.settings
        if s["resizer"] != "learned":
            exps.append(fixed(row, s["output"]))
            continue
        size = s["resizer_input"]
        exps.append(ex.proposed(proposed_name_of(bb, size), number, dataset, bb, size, baseline_of(bb),
                                batch_size=row.batch_size, row=row,
                                description=f"Table {number}: {bb}, learned resizer {size} -> 224, joint "
                                            f"fine-tuning{where}"))
    return exps


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
    return size_experiments(rows, NUMBER, DATASET, (baseline, proposed_name), _bilinear)


SPEC = TableSpec(
    number=NUMBER, datasets={TASK: DATASET}, rows=rows, experiments=experiments, figure="flops_curves",
    prints_flops=True,
    shared_files={DATASET: ("ImageNet (ILSVRC 2012) classification, Table 4, 6, 8 and 9.", {})})
