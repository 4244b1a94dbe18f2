"""results.json values no real run can have are refused by validation (and so by compare.py,
which skips the file by name): NaN, infinite, negative or out-of-range metrics, a table the
paper lacks, absurd counts, and JSON nested too deeply to parse; a NaN never enters a mean."""

import json
import math

import pytest

from resizer import compare, results
from test_compare import lines_of, make_results, write_run
from test_results import assert_refused


@pytest.mark.parametrize("path, value, message", [
    (("metrics", "top1_error_pct"), math.nan, "metrics.top1_error_pct: expected a finite number, got nan"),
    (("metrics", "top5_error_pct"), math.inf, "metrics.top5_error_pct: expected a finite number, got inf"),
    (("metrics", "top1_error_pct"), -3.0, "metrics.top1_error_pct: -3.0 is outside [0, 100]"),
    (("metrics", "top5_error_pct"), 140.0, "metrics.top5_error_pct: 140.0 is outside [0, 100]"),
    (("metrics", "loss"), -0.5, "metrics.loss: -0.5 is outside [0, inf]"),
    (("metrics", "loss"), "low", "metrics.loss: expected a finite number, got 'low'"),
    (("table",), 42, "table: expected one of (4, 5, 6, 7, 8, 9) or null, got 42"),
    (("gflops",), math.nan, "gflops: expected a finite number >= 0, got nan"),
    (("split_size",), -1, "split_size: expected a finite number >= 0, got -1"),
    (("training", "epochs"), -math.inf, "training.epochs: expected a finite number >= 0, got -inf"),
    (("params", "total"), -5, "params.total: expected a finite number >= 0, got -5"),
])
def test_impossible_values_are_refused(path, value, message):
    assert_refused(path, value, message)


def test_iqa_correlations_lie_in_minus_one_to_one():
    iqa = make_results(task="iqa", table=8)
    iqa["metrics"]["srcc"] = 1.5
    with pytest.raises(ValueError, match=r"metrics.srcc: 1.5 is outside \[-1, 1\]"):
        results.validate(iqa)


def test_deeply_nested_json_is_refused_by_name(tmp_path):
    path = tmp_path / "results.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match=f"{path}: cannot read results: nested too deeply"):
        results.read(str(path))


def test_compare_skips_a_nan_run_and_never_averages_it(tmp_path):
    write_run(tmp_path, "seed1", make_results(metrics={"top1_error_pct": 23.2, "top5_error_pct": 6.6}))
    write_run(tmp_path, "seed2", make_results(metrics={"top1_error_pct": 23.8, "top5_error_pct": 7.0}))
    nan = make_results()
    (tmp_path / "seed3").mkdir()
    (tmp_path / "seed3" / "results.json").write_text(json.dumps({**nan, "metrics": {"top1_error_pct": math.nan,
                                                                                    "top5_error_pct": 6.0}}))
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "results.json").write_text("{\"a\":" * 100_000 + "1" + "}" * 100_000)
    report = compare.build_report(str(tmp_path), (4,))
    lines = lines_of(report, 4, "resnet50 proposed 368->224")
    assert [l.run for l in lines] == ["seed1/results.json", "seed2/results.json", "mean of 2 runs"]
    assert lines[2].reproduced == pytest.approx({"top1_error_pct": 23.5, "top5_error_pct": 6.8})
    skipped = dict(report.skipped)
    assert "got nan" in skipped["seed3/results.json"] and "nested too deeply" in skipped["deep/results.json"]
