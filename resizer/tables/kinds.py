"""The two kinds of published table that several tables share: the FLOPs tables (4, 5: a
learned resizer at each input size against a fixed resize) and the generalization grids (6, 7:
a target backbone re-tuned with another backbone's trained resizer). Not a table module itself
(the registry finds table<N>.py only)."""

from resizer import experiments as ex
from resizer import results
from resizer.tables.spec import PublishedRow, paper_rows, printed_numbers, row_settings


def names(number, fixed):
    """(baseline(backbone), proposed_name(backbone, size)) of a FLOPs table: its `fixed` resize
    to 224 is the baseline, and its learned rows are table<N>/<backbone>/proposed_<size>."""
    return (lambda backbone: f"table{number}/{backbone}/{fixed}_224",
            lambda backbone, size=368: f"table{number}/{backbone}/proposed_{size}")


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


def grid_rows(number, task, dataset, source):
    """Rows of a generalization grid (Tables 6, 7): target x the backbone whose resizer started it
    (`source`: the table module of the 368->224 models, whose rows the diagonal repeats)."""
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
                                 note=f"= Table {source.NUMBER} 368->224 row" if diagonal else ""))
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
