"""Matching results.json files to published rows, statuses, and the three output formats."""

import copy
import csv
import io
import json
import os
import subprocess
import sys

import pytest

from resizer import compare, results, tables

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_results(task="classification", table=4, backbone="resnet50", resizer="learned", resizer_input=368,
                 output=224, n=16, r=1, batch_size=48, distortion=None, resizer_trained_with=None, metrics=None,
                 epochs=90.0, planned_epochs=90.0, full_train_split=True, full_split=True, gflops=8.6,
                 dataset=None, experiment="table4/resnet50/proposed_368"):
    """A valid results.json dict (resizer/results.py schema); sizes and metrics as the arguments say."""
    learned = resizer == "learned"
    if metrics is None:
        metrics = {"top1_error_pct": 23.0, "top5_error_pct": 6.7} if task == "classification" else \
            {"plcc": 0.675, "srcc": 0.644}
    data = {
        "schema_version": results.SCHEMA_VERSION, "experiment": experiment, "table": table, "smoke": False,
        "task": task,
        "dataset": dataset or tables.datasets(task)[0], "split": "validation", "split_size": 50000,
        "full_split": full_split,
        "settings": {"backbone": backbone, "resizer": resizer, "resizer_input": resizer_input if learned else None,
                     "output": output, "filters_n": n if learned else None, "res_blocks_r": r if learned else None,
                     "batch_size": batch_size, "interpolation": "bilinear", "train_crop": "inception_random_crop+flip",
                     "eval_crop": "central_crop_0.875", "distortion": distortion,
                     "resizer_trained_with": resizer_trained_with},
        "metrics": dict(metrics), "gflops": gflops,
        "params": {"total": 25_000_000, "trainable": 24_900_000, "resizer_conv_weights": 11872 if learned else None},
        "training": {"steps": int(epochs * 1000), "epochs": epochs, "planned_epochs": planned_epochs,
                     "train_examples": 1281167, "full_train_split": full_train_split},
        "code_version": "abc1234", "hardware": "CPU (2 cores)", "created": "2025-01-01T00:00:00+00:00",
    }
    return results.validate(data)


def write_run(root, relpath, data):
    path = os.path.join(root, relpath, "results.json")
    results.write(path, data)
    return path


def lines_of(report, table, label, task=None):
    return [l for s in report.sections if s.table == table and (task is None or s.task == task)
            for l in s.lines if l.row.label == label]


def test_published_rows_cover_every_reproducible_cell():
    assert tables.numbers() == (4, 5, 6, 7, 8, 9)
    assert len(tables.rows(4)) == 40 and len(tables.rows(5)) == 30
    assert len(tables.rows(6)) == 16 and len(tables.rows(8)) == 28
    assert [r.label for r in tables.rows(9)] == [
        "resnet50 proposed, downscale4x", "resnet50 proposed, gaussian_noise_0.1", "resnet50 proposed, jpeg_q10"]
    row = tables.rows(4)[23]
    assert (row.label, row.metrics, row.gflops, row.batch_size) == (
        "resnet50 proposed 368->224", {"top1_error_pct": 23.0, "top5_error_pct": 6.7}, 8.61, 48)
    assert row.printed == {"top1_error_pct": "23.0", "top5_error_pct": "6.7", "gflops": "8.61"}
    iqa = [r for r in tables.rows(8) if r.task == "iqa"][0]  # metric_a/metric_b under their names
    assert (iqa.dataset, iqa.metrics) == ("ava", {"plcc": 0.677, "srcc": 0.652})
    with pytest.raises(ValueError, match="no reproducible rows"):
        tables.rows(2)


def test_a_run_is_matched_by_settings_not_path_and_counts_for_every_table_printing_it(tmp_path):
    # A misleading folder name: matching must only look at the recorded settings.
    write_run(tmp_path, "table5/densenet121/bicubic_224", make_results(metrics={"top1_error_pct": 23.3,
                                                                                "top5_error_pct": 6.9}))
    report = compare.build_report(str(tmp_path))
    for table, label in ((4, "resnet50 proposed 368->224"), (8, "resnet50 r=1 n=16"), (6, "resnet50 <- resnet50 resizer")):
        (line,) = lines_of(report, table, label)
        assert line.status == "matches" and line.run == "table5/densenet121/bicubic_224/results.json"
        assert line.deltas == pytest.approx({"top1_error_pct": 0.3, "top5_error_pct": 0.2})
    assert lines_of(report, 5, "densenet121 bicubic 224")[0].status == "not run"
    assert report.matched["table5/densenet121/bicubic_224/results.json"] == [
        "4:resnet50 proposed 368->224", "6:resnet50 <- resnet50 resizer", "8:resnet50 r=1 n=16"]
    assert report.unmatched == [] and report.skipped == []


def test_status_follows_the_stated_tolerance(tmp_path):
    write_run(tmp_path, "a", make_results(metrics={"top1_error_pct": 23.5, "top5_error_pct": 6.7}))
    write_run(tmp_path, "b", make_results(resizer="bilinear", output=224, batch_size=128,
                                          metrics={"top1_error_pct": 25.21, "top5_error_pct": 7.5}))
    write_run(tmp_path, "c", make_results(task="iqa", backbone="efficientnet_b0", table=5, resizer_input=320,
                                          batch_size=64, metrics={"plcc": 0.661, "srcc": 0.651}))
    report = compare.build_report(str(tmp_path), (4, 5))
    assert lines_of(report, 4, "resnet50 proposed 368->224")[0].status == "matches"  # +0.5 exactly
    assert lines_of(report, 4, "resnet50 bilinear 224")[0].status == "differs"  # +0.51
    assert lines_of(report, 5, "efficientnet_b0 proposed 320->224")[0].status == "matches"  # -0.010 PLCC


@pytest.mark.parametrize("overrides, reason", [
    ({"epochs": 3.0}, "3 of 90 planned epochs"),
    ({"full_train_split": False}, "trained on 1281167 examples (subset)"),
    ({"full_split": False}, "evaluated 50000 examples (subset)"),
    ({"batch_size": 16}, "batch 16 (paper 48)"),
])
def test_runs_off_the_papers_protocol_are_partial(tmp_path, overrides, reason):
    write_run(tmp_path, "run", make_results(**overrides))
    (line,) = lines_of(compare.build_report(str(tmp_path), (4,)), 4, "resnet50 proposed 368->224")
    assert line.status == "partial" and reason in line.notes


def test_a_complete_run_within_one_percent_of_its_epochs_is_not_partial(tmp_path):
    write_run(tmp_path, "run", make_results(epochs=89.5))
    (line,) = lines_of(compare.build_report(str(tmp_path), (4,)), 4, "resnet50 proposed 368->224")
    assert line.status == "matches" and line.epochs == "89.5/90"


def test_two_runs_of_a_row_are_listed_with_their_mean(tmp_path):
    write_run(tmp_path, "seed1", make_results(metrics={"top1_error_pct": 23.2, "top5_error_pct": 6.6}))
    write_run(tmp_path, "seed2", make_results(metrics={"top1_error_pct": 23.8, "top5_error_pct": 7.0}))
    lines = lines_of(compare.build_report(str(tmp_path), (4,)), 4, "resnet50 proposed 368->224")
    assert [l.run for l in lines] == ["seed1/results.json", "seed2/results.json", "mean of 2 runs"]
    assert [l.status for l in lines] == ["matches", "differs", "matches"]
    assert lines[2].reproduced == pytest.approx({"top1_error_pct": 23.5, "top5_error_pct": 6.8})


def test_tables_6_7_and_9_rows_need_their_defining_setting(tmp_path):
    write_run(tmp_path, "t6", make_results(table=6, backbone="mobilenet_v2", resizer_trained_with="resnet50",
                                           metrics={"top1_error_pct": 28.1, "top5_error_pct": 9.5}))
    write_run(tmp_path, "t9", make_results(table=9, distortion="jpeg_q10", resizer_input=224,
                                           metrics={"top1_error_pct": 34.4, "top5_error_pct": 12.0}))
    report = compare.build_report(str(tmp_path))
    (t6,) = lines_of(report, 6, "mobilenet_v2 <- resnet50 resizer")
    assert t6.status == "matches"
    assert lines_of(report, 6, "mobilenet_v2 <- mobilenet_v2 resizer")[0].status == "not run"
    assert lines_of(report, 4, "mobilenet_v2 proposed 368->224")[0].status == "not run"
    assert lines_of(report, 6, "resnet50 <- resnet50 resizer")[0].status == "not run"
    # The registry's diagonal experiment evaluates the 368 model again; it inherits init = none.
    write_run(tmp_path, "t6diag", make_results(table=6, epochs=0.0, planned_epochs=0.0))
    report = compare.build_report(str(tmp_path))
    assert [l.run for l in lines_of(report, 6, "resnet50 <- resnet50 resizer")] == ["t6diag/results.json"]
    assert lines_of(report, 6, "resnet50 <- resnet50 resizer")[0].status == "matches"
    # With the trained 368 run beside it, both are listed but the re-evaluation is no second sample.
    write_run(tmp_path, "t4", make_results(table=4))
    report = compare.build_report(str(tmp_path))
    assert sorted(l.run for l in lines_of(report, 6, "resnet50 <- resnet50 resizer")) == [
        "t4/results.json", "t6diag/results.json"]
    (t9,) = lines_of(report, 9, "resnet50 proposed, jpeg_q10")
    assert t9.status == "matches" and "[20] Liu et al.: 34.9" in t9.notes
    assert lines_of(report, 4, "resnet50 proposed 224->224")[0].status == "not run"  # distorted run is not Table 4


def test_table8_iqa_and_classification_are_separate_sections(tmp_path):
    write_run(tmp_path, "iqa", make_results(task="iqa", table=8, backbone="densenet121", n=32, r=2,
                                            metrics={"plcc": 0.671, "srcc": 0.630}))
    report = compare.build_report(str(tmp_path), (8,))
    assert [(s.table, s.task) for s in report.sections] == [(8, "classification"), (8, "iqa")]
    (line,) = lines_of(report, 8, "densenet121 r=2 n=32", task="iqa")
    assert line.status == "matches" and line.reproduced == {"plcc": 0.671, "srcc": 0.630}
    assert lines_of(report, 8, "densenet121 r=2 n=32", task="classification")[0].status == "not run"


def test_bad_and_foreign_files_are_skipped_by_path_and_the_rest_is_reported(tmp_path):
    write_run(tmp_path, "good", make_results())
    os.makedirs(tmp_path / "truncated")
    (tmp_path / "truncated" / "results.json").write_text('{"schema_version": 1, ')
    os.makedirs(tmp_path / "foreign")
    (tmp_path / "foreign" / "results.json").write_text(json.dumps({"accuracy": 0.76}))
    bad = copy.deepcopy(make_results())
    bad["settings"]["resizer"] = "lanczos3"
    os.makedirs(tmp_path / "odd")
    (tmp_path / "odd" / "results.json").write_text(json.dumps(bad))
    report = compare.build_report(str(tmp_path), (4,))
    assert [p for p, _ in report.skipped] == ["foreign/results.json", "odd/results.json", "truncated/results.json"]
    assert "cannot read results" in dict(report.skipped)["truncated/results.json"]
    assert "settings.resizer" in dict(report.skipped)["odd/results.json"]
    assert lines_of(report, 4, "resnet50 proposed 368->224")[0].status == "matches"
    text = compare.format_text(report)
    assert "skipped foreign/results.json: invalid results.json: missing schema_version, experiment," in text


def test_runs_matching_no_row_are_reported_with_the_reason(tmp_path):
    write_run(tmp_path, "demo", make_results(table=None, dataset="synthetic", backbone="tiny_cnn"))
    write_run(tmp_path, "cifar", make_results(dataset="cifar10"))
    write_run(tmp_path, "offgrid", make_results(resizer_input=300))
    report = compare.build_report(str(tmp_path), (4,))
    why = dict(report.unmatched)
    assert why["demo/results.json"].startswith("table is null")
    smoke = make_results(table=None, dataset="synthetic")
    smoke["smoke"], smoke["training"]["steps"] = True, 3
    write_run(tmp_path, "smoke/table4/resnet50/proposed_368", smoke)
    why = dict(compare.build_report(str(tmp_path), (4,)).unmatched)
    assert why["smoke/table4/resnet50/proposed_368/results.json"] == (
        "a --smoke run of table4/resnet50/proposed_368 (3 steps on generated data): it shows that the row runs; "
        "its numbers mean nothing")
    assert why["cifar/results.json"] == "dataset cifar10 is not the paper's imagenet2012 for classification"
    assert "resizer_input=300" in why["offgrid/results.json"]


def test_rows_not_run_get_the_repos_flops_once_per_architecture(tmp_path):
    calls = []

    def fake_gflops(row):
        calls.append(row.label)
        return 1.5

    report = compare.build_report(str(tmp_path), (4, 6, 8), gflops_of_row=fake_gflops)
    assert all(l.gflops_repo == 1.5 for l in report.lines())
    # Table 6 and Table 8's (r=1, n=16) cells are the Table 4 368 models: counted once.
    assert len(calls) == 40 + 28 - 4


def test_text_markdown_and_csv_outputs(tmp_path):
    write_run(tmp_path, "run", make_results())
    report = compare.build_report(str(tmp_path), (4,))
    text = compare.format_text(report).splitlines()
    groups, header = text[1], text[2]
    row = next(l for l in text if l.startswith("resnet50 proposed 368->224"))
    # Aligned: every column of the row starts where the header's does, a metric's label over its paper value.
    assert row.index("23.0") == header.index("paper") == groups.index("top-1 %")
    assert row.index("matches") == header.index("status")
    assert "8.61" in row and "8.60" in row  # the paper's and the repo's GFLOPs side by side
    assert max(len(line) for line in text) > 120  # no width given: one line a row

    narrow = compare.format_text(report, width=80).splitlines()
    assert max(len(line) for line in narrow) <= 80
    # Every row keeps every value: the columns that did not fit follow in further blocks, each with the row.
    hits = [line for line in narrow if line.startswith("resnet50 proposed 368->224")]
    assert len(hits) > 1 and "23.00" in hits[0] and "matches" in "".join(hits) and "8.60" in "".join(hits)

    md = compare.format_markdown(report).splitlines()
    table = [l for l in md if l.startswith("|")]
    assert len(table) == 2 + 40 and len({l.count("|") for l in table}) == 1
    assert md[0].startswith("#### Table 4 (ImageNet classification; matches within top-1 % +-0.5")

    records = list(csv.DictReader(io.StringIO(compare.format_csv(report))))
    hit = [r for r in records if r["row"] == "resnet50 proposed 368->224" and r["metric"] == "top1_error_pct"]
    assert hit[0]["published"] == "23.0" and hit[0]["reproduced"] == "23.0" and hit[0]["status"] == "matches"
    assert len(records) == 80

    written = compare.write_csvs(report, str(tmp_path / "out"))
    assert sorted(os.path.basename(p) for p in written) == ["runs.csv", "table4.csv"]
    with open(tmp_path / "out" / "runs.csv") as f:
        (run,) = list(csv.DictReader(f))
    assert run["settings.backbone"] == "resnet50" and run["training.planned_epochs"] == "90.0"
    assert run["reproduces"] == "4:resnet50 proposed 368->224"


def test_parse_tables():
    assert compare.parse_tables("all") == (4, 5, 6, 7, 8, 9)
    assert compare.parse_tables("4,8") == (4, 8)
    for bad in ("3", "x", ""):
        with pytest.raises(ValueError, match="expected 'all' or table numbers"):
            compare.parse_tables(bad)


def test_compare_script_prints_markdown_and_writes_csvs(tmp_path):
    write_run(tmp_path / "runs", "x", make_results())
    out = subprocess.run([sys.executable, "scripts/compare.py", f"--results_dir={tmp_path / 'runs'}", "--table=4,8",
                          "--format=md", f"--csv_dir={tmp_path / 'csv'}"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "#### Table 8 (ImageNet classification" in out.stdout
    assert "| resnet50 r=1 n=16 | x/results.json | 23.0 | 23.00 | +0.00 |" in out.stdout
    assert sorted(os.listdir(tmp_path / "csv")) == ["runs.csv", "table4.csv", "table8.csv"]
    text = subprocess.run([sys.executable, "scripts/compare.py", f"--results_dir={tmp_path / 'runs'}", "--table=4",
                           "--width=90", "--csv_dir="], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert text.returncode == 0 and "Table 4 (ImageNet" in text.stdout, text.stderr
    assert max(len(line) for line in text.stdout.splitlines()) <= 90
    with pytest.raises(FileNotFoundError, match="does not exist"):
        compare.build_report(str(tmp_path / "nope"))
