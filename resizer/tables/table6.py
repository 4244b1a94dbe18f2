"""Table 6: ImageNet top-1/top-5 error of a target backbone re-tuned with another backbone's
trained 368->224 resizer (the diagonal: the backbone's own, the Table 4 model)."""

from resizer import experiments as ex
from resizer import results
from resizer.tables import table4
from resizer.tables.spec import PublishedRow, TableSpec, paper_rows, printed_numbers, row_settings

NUMBER = 6
TASK, DATASET = "classification", "imagenet2012"


def grid_rows(number, task, dataset, source_number):
    """Rows of a generalization grid (Tables 6, 7): target x the backbone whose resizer started it."""
    rows = []
    for r, raw in paper_rows(number):
        target, initial = r["target_model"], r["initial_model"]
        diagonal = target == initial
        # The diagonal is the resizer trained with its own backbone (= the 368 row): the Table 4/5
        # run itself, or that model evaluated again, which inherits its value (none).
        settings = row_settings({"backbone": target, "resizer": "learned", "resizer_input": 368, "output": 224,
                                 "resizer_trained_with": None if diagonal else initial})
        rows.append(PublishedRow(number, task, dataset, f"{target} <- {initial} resizer", settings,
                                 {m: r[m] for m in results.METRICS[task]}, printed_numbers(raw), r,
                                 note=f"= Table {source_number} 368->224 row" if diagonal else ""))
    return rows


def grid_experiments(rows, number, dataset, source):
    """One experiment per cell: the target's baseline plus the initial backbone's trained resizer
    (`source`: the table module of those models), re-tuned; the diagonal only evaluates."""
    exps = []
    for row in rows:
        target, initial = row.paper["target_model"], row.paper["initial_model"]
        trained = source.proposed_name(initial, 368)
        same = target == initial
        exps.append(ex.proposed(f"table{number}/{target}/from_{initial}", number, dataset, target, 368,
                                trained if same else source.baseline(target), init_resizer_from=trained,
                                train_epochs=0 if same else ex.EPOCHS_RETUNE, row=row,
                                description=f"Table {number}: {initial}'s 368 -> 224 resizer " +
                                (f"(the Table {source.NUMBER} model, evaluated)" if same
                                 else f"re-tuned with the {target} baseline")))
    return exps


SPEC = TableSpec(
    number=NUMBER, datasets={TASK: DATASET}, rows=lambda: grid_rows(NUMBER, TASK, DATASET, table4.NUMBER),
    experiments=lambda rows: grid_experiments(rows, NUMBER, DATASET, table4), figure="generalization_grid")
