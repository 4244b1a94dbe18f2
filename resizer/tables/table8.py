"""Table 8: the resizer's size (r residual blocks, n filters) at 368->224, on ImageNet and AVA."""

from resizer import experiments as ex
from resizer import results
from resizer.tables import table4, table5
from resizer.settings import DEFAULT_RESIZER
from resizer.tables.spec import PublishedRow, TableSpec, paper_rows, printed_numbers, row_settings

NUMBER = 8
DATASETS = {"classification": "imagenet2012", "iqa": "ava"}
SOURCES = {"classification": table4, "iqa": table5}  # the tables whose 368->224 rows are the (1, 16) cells
DEFAULT_RN = (DEFAULT_RESIZER["res_blocks"], DEFAULT_RESIZER["filters"])


def rows():
    out = []
    for r, raw in paper_rows(NUMBER):
        task = r["task"]
        names = dict(zip(("metric_a", "metric_b"), results.METRICS[task]))
        settings = row_settings({"backbone": r["model"], "resizer": "learned", "resizer_input": 368, "output": 224,
                                 "filters": r["filters_n"], "res_blocks": r["res_blocks_r"]})
        out.append(PublishedRow(NUMBER, task, DATASETS[task], f"{r['model']} r={r['res_blocks_r']} n={r['filters_n']}",
                                settings, {m: r[k] for k, m in names.items()}, printed_numbers(raw, names), r))
    return out


def experiments(rows):
    exps = []
    for row in rows:
        task, bb = row.task, row.backbone
        dataset, source = DATASETS[task], SOURCES[task]
        rb, n = row.settings["res_blocks_r"], row.settings["filters_n"]
        default = (rb, n) == DEFAULT_RN
        trained = source.proposed_name(bb, 368)
        short = ex.dataset_flagfile(dataset)
        exps.append(ex.proposed(
            f"table8/{short}/{bb}/r{rb}_n{n}", NUMBER, dataset, bb, 368, trained if default else source.baseline(bb),
            init_resizer_from=trained if default else None, train_epochs=0 if default else ex.EPOCHS_FINETUNE,
            filters=n, res_blocks=rb, row=row,
            description=f"Table 8: {bb} on {dataset}, resizer r={rb}, n={n}, 368 -> 224" +
            (f" (the Table {source.NUMBER} model, evaluated)" if default else "")))
    return exps


SPEC = TableSpec(number=NUMBER, datasets=DATASETS, rows=rows, experiments=experiments, figure="ablation_bars")
