"""The Fashion-MNIST suite end to end on tiny IDX files: runs, records, summary, table, resumption."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from resizer.data import testing
from resizer.suites import fashion_mnist as suite

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROW = "noise_0.1_at_28"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("fashion_mnist_data"))
    testing.prepared_fashion_mnist(directory, num_train=40, num_test=24)
    return directory


@pytest.fixture(scope="module")
def finished(data_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("suite")
    lines = []
    table = suite.run("tiny", data_dir=data_dir, results_dir=str(root / "results"), runs_dir=str(root / "runs"),
                      rows=[ROW], log=lines.append)
    return root, table, lines


def _records(out_dir):
    records = []
    for folder, _, files in os.walk(os.path.join(out_dir, "runs")):
        records += [json.load(open(os.path.join(folder, f))) for f in files]
    return records


@pytest.mark.slow  # four tiny training runs: ~80 s on 2 loaded cores
def test_every_run_is_recorded_with_its_settings(finished, data_dir):
    root, _, lines = finished
    out_dir = root / "results" / "fashion_mnist_tiny"
    records = _records(out_dir)
    assert sorted((r["resizer"], r["seed"]) for r in records) == [("identity", 0), ("identity", 1), ("learned", 0),
                                                                 ("learned", 1)]
    for r in records:
        cfg, results = r["config"], r["results"]
        assert (cfg["dataset"], cfg["train_split"], cfg["eval_split"], cfg["backbone"]) == (
            "fashion_mnist", "train_minus_minival", "test", "tiny_cnn")
        assert (cfg["distortion"], cfg["momentum"], cfg["lr_decay_rate"], cfg["seed"]) == (
            "gaussian_noise_0.1", 0.9, 0.94, r["seed"])
        assert results["split"] == "test" and results["split_size"] == 24 and results["training"]["train_examples"] == 32
        assert r["test_error_pct"] == results["metrics"]["top1_error_pct"] and 0 <= r["test_error_pct"] <= 100
        assert r["minival_examples"] == r["minival_expected"] == 4 and 0 <= r["minival_error_pct"] <= 100  # 10% of 40
        assert r["minival_examples_setting"] == 8 and not r["minival_full_split"] and not results["full_split"]
        assert r["data"] == suite.data_identity(suite.provenance("tiny", suite.SIZES["tiny"], data_dir)["data"])
        assert r["cpu_seconds"] > 0 and r["gflops"] == results["gflops"]
    learned = next(r for r in records if r["resizer"] == "learned")
    fixed = next(r for r in records if r["resizer"] == "identity")
    assert learned["gflops"] > fixed["gflops"] > 0
    assert learned["config"]["resizer_input"] == 28 and fixed["config"]["resizer"] == "bilinear"
    assert len(lines) == 4 and lines[0].startswith("[1/4] noise_0.1_at_28 identity seed 0: test error")


@pytest.mark.slow  # four tiny training runs: ~80 s on 2 loaded cores
def test_summary_has_the_provenance_and_the_numbers(finished):
    root, table, _ = finished
    out_dir = root / "results" / "fashion_mnist_tiny"
    summary = json.load(open(out_dir / "summary.json"))
    data = summary["data"]
    assert data["prepared_splits"] == {"train": 40, "test": 24} and data["selection_split"] == "minival"
    assert data["content"]["idx_sha256"] == testing.write_fashion_mnist_manual(str(root / "again"), 40, 24)["sha256"]
    assert data["matches_recorded_sha256"] is False  # tiny files, not the real ones: said so
    assert summary["seeds"] == [0, 1] and summary["runs"] == 4 and summary["code_version"]
    assert summary["hardware"]["cores_available"] >= 1 and summary["started"] <= summary["finished"]
    assert summary["common_settings"]["learning_rate"] == 0.05
    (entry,) = summary["summary"]
    records = _records(out_dir)
    errors = {label: [r["test_error_pct"] for r in sorted(records, key=lambda r: r["seed"]) if r["resizer"] == label]
              for label in ("identity", "learned")}
    for label, values in errors.items():
        mean, sd = suite.mean_sd(values)
        assert entry["arms"][label]["mean"] == pytest.approx(mean) and entry["arms"][label]["sd"] == pytest.approx(sd)
    assert entry["best_fixed"] == "identity" and entry["complete"]
    assert entry["learned_minus_best_fixed"] == pytest.approx(entry["arms"]["learned"]["mean"]
                                                              - entry["arms"]["identity"]["mean"])
    assert (out_dir / "table.md").read_text() == table
    line = next(l for l in table.splitlines() if l.startswith(f"| {ROW} |"))
    arms = entry["arms"]
    # tiny evaluates 24 test and 8 minival examples: each arm is marked as evaluated on part of a split
    assert not arms["identity"]["full_split"] and not arms["learned"]["full_split"]
    assert f"{arms['identity']['mean']:.2f} ± {arms['identity']['sd']:.2f}* (identity)" in line
    assert f"{arms['learned']['mean']:.2f} ± {arms['learned']['sd']:.2f}*" in line
    assert "\\* evaluated on part of the test or minival split" in table
    assert f"{entry['learned_minus_best_fixed']:+.2f}" in line and "(vs identity)" in line
    detail = [l for l in table.splitlines() if l.startswith(f"| {ROW} | learned |")]
    assert len(detail) == 1 and f"| {arms['learned']['mflops']:.3f} |" in detail[0]


@pytest.mark.slow  # four tiny training runs: ~80 s on 2 loaded cores
def test_a_rerun_reuses_finished_runs(finished, data_dir):
    root, table, _ = finished
    lines = []
    again = suite.run("tiny", data_dir=data_dir, results_dir=str(root / "results"), runs_dir=str(root / "runs"),
                      rows=[ROW], log=lines.append)
    assert again == table and all(line.endswith("(done before)") for line in lines) and len(lines) == 4


def test_a_record_is_reused_only_with_the_same_settings_minival_size_and_data(data_dir):
    size = suite.SIZES["tiny"]
    cfg = suite.run_config(suite.ROWS[0], "bilinear", 0, size, data_dir=data_dir, runs_dir="runs")
    data = suite.data_identity(suite.provenance("tiny", size, data_dir)["data"])
    record = {"config": dataclasses.asdict(cfg), "minival_examples_setting": size.minival_examples, "data": data}
    assert suite._same_settings(record, cfg, size, data)
    assert not suite._same_settings(record, dataclasses.replace(cfg, eval_preprocessing="slim"), size, data)
    assert not suite._same_settings(record, cfg, dataclasses.replace(size, minival_examples=0), data)
    assert not suite._same_settings(record, cfg, size, {**data, "idx_sha256": {"other": "content"}})


def test_the_suite_log_gets_the_training_loops_warnings_only():
    lines = []
    log = suite._warnings_only(lines.append)
    log("step 10: loss 2.3")
    log("warning: evaluated 9 of the 10 examples of test: 1 could not be read and were dropped")
    assert lines == ["warning: evaluated 9 of the 10 examples of test: 1 could not be read and were dropped"]


def test_mean_sd_is_numpys():
    import numpy as np

    values = [12.5, 14.0, 13.1]
    assert suite.mean_sd(values) == pytest.approx((np.mean(values), np.std(values, ddof=1)))


def test_bad_requests_are_refused(data_dir, tmp_path):
    with pytest.raises(ValueError, match="Unknown row"):
        suite.run("tiny", data_dir=data_dir, rows=["down_28_to_5"], results_dir=str(tmp_path))
    with pytest.raises(ValueError, match="Unknown suite size"):
        suite.run("huge", data_dir=data_dir)
    with pytest.raises(FileNotFoundError, match="prepare_data.py --dataset fashion_mnist"):
        suite.run("tiny", data_dir=str(tmp_path), results_dir=str(tmp_path))


def test_every_row_builds_valid_configs():
    for row in suite.ROWS:
        for label in row.arms:
            cfg = suite.run_config(row, label, 0, suite.SIZES["full"], runs_dir="runs")
            assert cfg.train_examples == 20_000 and cfg.model_dir.endswith(f"{row.name}/{label}/seed0")
            assert (cfg.resizer == "learned") == (label == "learned")
            assert cfg.model_input == {"down_28_to_14": 28, "down_28_to_7": 28, "up_7_to_28": 7,
                                       "noise_0.1_at_28": 28}[row.name]


@pytest.mark.slow
def test_reproduce_script_runs_the_whole_tiny_suite(data_dir, tmp_path):
    command = [sys.executable, os.path.join(ROOT, "scripts", "reproduce.py"), "--suite", "fashion_mnist",
               "--size", "tiny", "--data_dir", data_dir, "--results_dir", str(tmp_path / "results"),
               "--runs_dir", str(tmp_path / "runs")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.load(open(tmp_path / "results" / "fashion_mnist_tiny" / "summary.json"))
    assert [e["row"] for e in summary["summary"]] == list(suite.ROW_NAMES) and summary["runs"] == 28
    down = summary["summary"][0]
    assert set(down["arms"]) == {"bilinear", "bicubic", "bilinear_aa", "area", "learned"}
    assert down["best_fixed"] in suite.FIXED_DOWN
    for name in suite.ROW_NAMES:
        assert f"| {name} |" in done.stdout


@pytest.mark.slow
def test_a_run_whose_record_is_lost_is_trained_again_whole(finished, data_dir, tmp_path):
    # Resuming its finished checkpoint would train 0 steps and record the evaluation's CPU time.
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(finished[0], root)
    out_dir = root / "results" / "fashion_mnist_tiny"
    lost = next(os.path.join(folder, f) for folder, _, files in os.walk(out_dir / "runs") for f in files)
    before = json.load(open(lost))
    os.remove(lost)
    lines = []
    suite.run("tiny", data_dir=data_dir, results_dir=str(root / "results"), runs_dir=str(root / "runs"),
              rows=[ROW], log=lines.append)
    again = json.load(open(lost))
    assert any("training it again from the start" in line for line in lines), lines
    assert again["results"]["training"]["steps"] == before["results"]["training"]["steps"] > 0
    assert sum(line.endswith("(done before)") for line in lines) == 3
