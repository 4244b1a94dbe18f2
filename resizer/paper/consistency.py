"""Cross-table consistency rules of the published tables, so that no number is edited by mistake.

The rules are those of the transcription's own checker (shared/paper/tables/check.py,
explained in its README): the layout of every table, Table 2 recomputed from the
resizer's kernel weights, FLOPS equal between Tables 4 and 5 and a resizer overhead that
does not depend on the backbone, Table 1 equal to the Table 4/5 rows it summarises, the
Table 8 (r=1, n=16) cells and the Table 6/7 diagonals equal to the 368->224 rows, the
orientation of Tables 6/7 and the text's claims about Tables 6, 7 and 9.

    from resizer.paper import consistency
    consistency.check()                  # the packaged CSV files; raises ValueError
    consistency.check("path/to/tables")  # a directory holding table1.csv ... table9.csv
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from resizer import paper

CLS_MODELS = ("inception_v2", "densenet121", "resnet50", "mobilenet_v2")
IQA_MODELS = ("inception_v2", "densenet121", "efficientnet_b0")
SIZES = (224, 256, 320, 368, 448)
BATCH = {224: 128, 256: 96, 320: 64, 368: 48, 448: 32}
DISTORTIONS = ("downscale4x", "gaussian_noise_0.1", "jpeg_q10")

HEADERS = {
    1: ["task", "model", "metric", "baseline_resizer", "baseline_value", "proposed_value"],
    2: ["filters_n", "res_blocks_r", "params_thousands"],
    4: ["model", "resizer", "resizer_input", "output", "batch_size", "top1_error_pct", "top5_error_pct", "gflops"],
    5: ["model", "resizer", "resizer_input", "output", "batch_size", "plcc", "srcc", "gflops"],
    6: ["target_model", "initial_model", "top1_error_pct", "top5_error_pct"],
    7: ["target_model", "initial_model", "plcc", "srcc"],
    8: ["task", "model", "res_blocks_r", "filters_n", "metric_a", "metric_b"],
    9: ["model", "method", "distortion", "top1_error_pct"],
}
ROW_COUNTS = {1: 7, 2: 8, 4: 40, 5: 30, 6: 16, 7: 9, 8: 28, 9: 6}
_TEXT = {"task", "model", "metric", "baseline_resizer", "resizer", "target_model", "initial_model",
         "method", "distortion", "resizer_input"}
_MODEL_COLUMNS = ("model", "target_model", "initial_model")


class _Stop(Exception):
    """A failure that makes the remaining rules meaningless (a missing row, a bad number)."""


class _Checker:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def ok(self, condition, message):
        if condition:
            self.passed += 1
        else:
            self.failures.append(message)


def read_directory(directory):
    """{table: raw rows} of the table<N>.csv files in a directory (same form as paper.load(raw=True))."""
    tables = {}
    for table in paper.TABLES:
        path = os.path.join(directory, f"table{table}.csv")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path} is missing: a table directory holds table1.csv ... table9.csv "
                                    f"(tables {paper.TABLES}).")
        with open(path, newline="", encoding="utf-8") as f:
            tables[table] = list(csv.DictReader(f))
    return tables


def _packaged():
    return {table: paper.load(table, raw=True) for table in paper.TABLES}


def _number(table, column, cell):
    try:
        value = Decimal(cell)
    except (InvalidOperation, TypeError):
        raise _Stop(f"table{table}: {column}={cell!r} is not a plain number") from None
    if not value.is_finite():
        raise _Stop(f"table{table}: {column}={cell!r} is not a finite number")
    return value


def _row(rows, table, model, resizer, size):
    key = "resizer_input" if resizer == "proposed" else "output"
    hits = [r for r in rows if r["model"] == model and r["resizer"] == resizer and r[key] == str(size)]
    if len(hits) != 1:
        raise _Stop(f"table{table}: expected one {model} {resizer} row at {size}, found {len(hits)}")
    return hits[0]


def _layout(c, tables):
    for table in paper.TABLES:
        rows = tables.get(table)
        if rows is None:
            c.ok(False, f"table{table}: missing")
            continue
        header = list(rows[0].keys()) if rows else []
        if table in HEADERS:  # a table added later has no layout rules until they are written here
            c.ok(header == HEADERS[table], f"table{table}: header {header}, expected {HEADERS[table]}")
            c.ok(len(rows) == ROW_COUNTS[table], f"table{table}: {len(rows)} rows, expected {ROW_COUNTS[table]}")
        for r in rows:
            # csv.DictReader files extra cells under None and fills missing ones with None.
            c.ok(None not in r and None not in r.values(), f"table{table}: ragged row {r}")


def _formats(c, tables):
    models = set(CLS_MODELS) | set(IQA_MODELS)
    for table, rows in tables.items():
        for r in rows:
            for column in _MODEL_COLUMNS:
                if column in r:
                    c.ok(r[column] in models, f"table{table}: unknown model name {r[column]!r}")
            for column, cell in r.items():
                if column in _TEXT:
                    continue
                _number(table, column, cell)
                c.ok(cell.strip() == cell and "%" not in cell, f"table{table}: bad numeric cell {cell!r}")


def resizer_conv_weights(n, r):
    """Kernel weights of the resizer (Table 2's convention): 7x7 in, 1x1, r blocks of two 3x3, 3x3, 7x7 out."""
    return 3 * 49 * n + n * n + 9 * n * n + 49 * n * 3 + r * 2 * 9 * n * n


def _table2(c, t2):
    seen = set()
    for r in t2:
        n, blocks = int(r["filters_n"]), int(r["res_blocks_r"])
        seen.add((n, blocks))
        truncated = Decimal(resizer_conv_weights(n, blocks) // 10) / Decimal(100)
        c.ok(_number(2, "params_thousands", r["params_thousands"]) == truncated,
             f"table2: n={n} r={blocks}: {r['params_thousands']} != truncated kernel weights / 1000 = {truncated}")
    c.ok(seen == {(n, b) for n in (16, 32) for b in (1, 2, 3, 4)}, f"table2: (n, r) cells {sorted(seen)}")


def _structure(c, rows, table, models, baseline):
    c.ok([r["model"] for r in rows] == [m for m in models for _ in range(10)],
         f"table{table}: models not in blocks of 10 in the order {models}")
    for m in models:
        block = [r for r in rows if r["model"] == m]
        for s, r in zip(SIZES, block[:5]):
            c.ok(r["resizer"] == "proposed" and r["resizer_input"] == str(s) and r["output"] == "224"
                 and r["batch_size"] == str(BATCH[s]), f"table{table}: bad proposed row {r}")
        for s, r in zip(SIZES, block[5:]):
            c.ok(r["resizer"] == baseline and r["resizer_input"] == "" and r["output"] == str(s)
                 and r["batch_size"] == str(BATCH[s]), f"table{table}: bad {baseline} row {r}")


def _flops(c, t4, t5):
    for m in ("inception_v2", "densenet121"):
        for s in SIZES:
            for a, b, what in ((_row(t4, 4, m, "bilinear", s), _row(t5, 5, m, "bicubic", s), "baseline"),
                               (_row(t4, 4, m, "proposed", s), _row(t5, 5, m, "proposed", s), "proposed")):
                c.ok(Decimal(a["gflops"]) == Decimal(b["gflops"]),
                     f"FLOPS of {m} {what} {s}: table4 {a['gflops']} != table5 {b['gflops']}")
    overheads = {s: [] for s in SIZES}
    blocks = ((t4, 4, CLS_MODELS, "bilinear"), (t5, 5, IQA_MODELS, "bicubic"))
    for rows, table, models, baseline in blocks:
        for m in models:
            base224 = Decimal(_row(rows, table, m, baseline, 224)["gflops"])
            for s in SIZES:
                overheads[s].append(Decimal(_row(rows, table, m, "proposed", s)["gflops"]) - base224)
                # Baseline FLOPS grow about as (s/224)^2 (3 %: 368 is not a multiple of 32).
                g = float(_row(rows, table, m, baseline, s)["gflops"])
                predicted = float(base224) * (s / 224) ** 2
                c.ok(abs(g - predicted) / predicted < 0.03,
                     f"table{table}: {m} {baseline} {s}: {g} GFLOPs vs quadratic scaling {predicted:.2f}")
    for s, values in overheads.items():
        c.ok(max(values) - min(values) <= Decimal("0.01"),
             f"resizer FLOPS overhead at {s}->224 varies across backbones: {[str(v) for v in values]}")


def _table1(c, t1, t4, t5):
    keys = [("classification", m) for m in CLS_MODELS] + [("iqa", m) for m in IQA_MODELS]
    c.ok([(r["task"], r["model"]) for r in t1] == keys, "table1: rows are not the (task, model) pairs of Tables 4/5")
    for r in t1:
        if r["task"] == "classification":
            c.ok(r["metric"] == "top1_error_pct" and r["baseline_resizer"] == "bilinear", f"table1: {r}")
            base = _row(t4, 4, r["model"], "bilinear", 224)["top1_error_pct"]
            proposed = [x["top1_error_pct"] for x in t4 if x["model"] == r["model"] and x["resizer"] == "proposed"]
            best = min(proposed, key=Decimal, default=None)
        else:
            c.ok(r["metric"] == "plcc" and r["baseline_resizer"] == "bicubic", f"table1: {r}")
            base = _row(t5, 5, r["model"], "bicubic", 224)["plcc"]
            proposed = [x["plcc"] for x in t5 if x["model"] == r["model"] and x["resizer"] == "proposed"]
            best = max(proposed, key=Decimal, default=None)
        c.ok(Decimal(r["baseline_value"]) == Decimal(base),
             f"table1: {r['model']} baseline {r['baseline_value']} != Table 4/5 224 row {base}")
        c.ok(best is not None and Decimal(r["proposed_value"]) == Decimal(best),
             f"table1: {r['model']} proposed {r['proposed_value']} != best Table 4/5 proposed row {best}")


def _table8(c, t8, t4, t5):
    configs = {(1, 16), (2, 16), (1, 32), (2, 32)}
    for task, models in (("classification", CLS_MODELS), ("iqa", IQA_MODELS)):
        for m in models:
            got = {(int(r["res_blocks_r"]), int(r["filters_n"])) for r in t8 if r["task"] == task and r["model"] == m}
            c.ok(got == configs, f"table8: {task} {m} has (r, n) cells {sorted(got)}")
    for r in t8:
        if (r["res_blocks_r"], r["filters_n"]) != ("1", "16"):
            continue
        if r["task"] == "classification":
            ref = _row(t4, 4, r["model"], "proposed", 368)
            a, b = ref["top1_error_pct"], ref["top5_error_pct"]
        else:
            ref = _row(t5, 5, r["model"], "proposed", 368)
            a, b = ref["plcc"], ref["srcc"]
        c.ok((Decimal(r["metric_a"]), Decimal(r["metric_b"])) == (Decimal(a), Decimal(b)),
             f"table8: r=1 n=16 {r['task']} {r['model']} ({r['metric_a']}, {r['metric_b']}) != 368 row ({a}, {b})")


def _tables67(c, t6, t7, t4, t5):
    for rows, table, models, ref_rows, ref_table, ka, kb, spread in (
            (t6, 6, CLS_MODELS, t4, 4, "top1_error_pct", "top5_error_pct", Decimal("1.0")),
            (t7, 7, IQA_MODELS, t5, 5, "plcc", "srcc", Decimal("0.03"))):
        c.ok(sorted((r["target_model"], r["initial_model"]) for r in rows)
             == sorted((t, i) for t in models for i in models), f"table{table}: not a full {len(models)}x{len(models)} grid")
        for target in models:
            diagonal = [r for r in rows if r["target_model"] == r["initial_model"] == target]
            if len(diagonal) != 1:
                raise _Stop(f"table{table}: expected one diagonal cell for {target}, found {len(diagonal)}")
            d = diagonal[0]
            ref = _row(ref_rows, ref_table, target, "proposed", 368)
            c.ok((Decimal(d[ka]), Decimal(d[kb])) == (Decimal(ref[ka]), Decimal(ref[kb])),
                 f"table{table}: diagonal {target} ({d[ka]}, {d[kb]}) != 368 row ({ref[ka]}, {ref[kb]})")
            # Rows are targets: values of one target stay near its diagonal (the orientation check).
            for r in rows:
                if r["target_model"] == target:
                    c.ok(abs(Decimal(r[ka]) - Decimal(d[ka])) <= spread,
                         f"table{table}: {r} is far from its target's diagonal {d[ka]}")
    # Section 4.3: re-tuned resizers beat random initialisation for DenseNet and MobileNet
    # targets (Table 6) and the EfficientNet target (Table 7).
    for target in ("densenet121", "mobilenet_v2"):
        d = [Decimal(r["top1_error_pct"]) for r in t6 if r["target_model"] == r["initial_model"] == target][0]
        c.ok(any(Decimal(r["top1_error_pct"]) < d for r in t6 if r["target_model"] == target),
             f"table6: no initialisation beats the diagonal for {target}, as Section 4.3 says")
    d = [Decimal(r["plcc"]) for r in t7 if r["target_model"] == r["initial_model"] == "efficientnet_b0"][0]
    c.ok(any(Decimal(r["plcc"]) > d for r in t7 if r["target_model"] == "efficientnet_b0"),
         "table7: no initialisation beats the diagonal for efficientnet_b0, as Section 4.3 says")


def _table9(c, t9):
    keys = sorted((r["model"], r["method"], r["distortion"]) for r in t9)
    expected = sorted(("resnet50", m, d) for m in ("liu2019", "proposed") for d in DISTORTIONS)
    c.ok(keys == expected, f"table9: rows {keys}, expected {expected}")
    if keys != expected:
        return
    value = {(r["method"], r["distortion"]): Decimal(r["top1_error_pct"]) for r in t9}
    margins = {d: value[("liu2019", d)] - value[("proposed", d)] for d in DISTORTIONS}
    c.ok(all(m > 0 for m in margins.values()), f"table9: the proposed resizer should beat [20] everywhere: {margins}")
    c.ok(max(margins, key=margins.get) == "downscale4x", f"table9: the largest margin should be downscale4x: {margins}")


def failures(tables=None):
    """(failure messages, number of passed checks) for {table: raw rows}, a directory, or the package."""
    if tables is None:
        tables = _packaged()
    elif not isinstance(tables, Mapping):
        tables = read_directory(tables)
    c = _Checker()
    _layout(c, tables)
    if c.failures:  # the value rules below index columns and rows the layout guarantees
        return c.failures, c.passed
    t1, t2, t4, t5, t6, t7, t8, t9 = (tables[t] for t in HEADERS)
    try:
        _formats(c, tables)
        _table2(c, t2)
        _structure(c, t4, 4, CLS_MODELS, "bilinear")
        _structure(c, t5, 5, IQA_MODELS, "bicubic")
        for r in t4:
            c.ok(Decimal(r["top5_error_pct"]) < Decimal(r["top1_error_pct"]), f"table4: top-5 >= top-1 error in {r}")
        _flops(c, t4, t5)
        _table1(c, t1, t4, t5)
        _table8(c, t8, t4, t5)
        _tables67(c, t6, t7, t4, t5)
        _table9(c, t9)
    except _Stop as stop:
        c.failures.append(str(stop))
    return c.failures, c.passed


def check(tables=None):
    """Raises ValueError listing every broken rule; returns the number of checks passed."""
    found, passed = failures(tables)
    if found:
        raise ValueError(f"{len(found)} published-table consistency check(s) failed:\n  " + "\n  ".join(found))
    return passed
