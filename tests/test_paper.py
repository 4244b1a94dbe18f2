"""The packaged published tables: loading, and the cross-table rules that guard every number."""

import csv
import shutil

import pytest

from resizer import paper
from resizer.paper import consistency


def _copy_tables(tmp_path):
    for table in paper.TABLES:
        with paper.path(table).open("rb") as src, open(tmp_path / f"table{table}.csv", "wb") as dst:
            shutil.copyfileobj(src, dst)
    return tmp_path


def _edit(path, match, column, value):
    """Sets `column` to `value` in the one row of a CSV file whose cells include `match`."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    hits = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(hits) == 1
    hits[0][column] = value
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_load_parses_numbers_and_raw_keeps_printed_strings():
    row = paper.load(4)[25]  # resnet50 bilinear 224
    assert (row["model"], row["resizer"], row["resizer_input"], row["output"]) == ("resnet50", "bilinear", None, 224)
    assert row["top1_error_pct"] == 24.7 and isinstance(row["batch_size"], int)
    assert paper.load(4, raw=True)[26]["gflops"] == "9.10"
    with pytest.raises(ValueError, match="no transcribed table 3"):
        paper.load(3)


def test_packaged_tables_pass_every_consistency_rule():
    assert consistency.check() > 1000
    found, _ = consistency.failures({t: paper.load(t, raw=True) for t in paper.TABLES})
    assert found == []


def test_an_edited_published_number_is_caught(tmp_path):
    directory = _copy_tables(tmp_path)
    assert consistency.check(directory) > 1000  # the untouched copy passes
    # ResNet-50 368->224 reappears as Table 8's (r=1, n=16) cell and Table 6's diagonal.
    _edit(directory / "table4.csv", {"model": "resnet50", "resizer": "proposed", "resizer_input": "368"},
          "top1_error_pct", "23.1")
    found, _ = consistency.failures(directory)
    assert any(f.startswith("table8: r=1 n=16 classification resnet50") for f in found)
    assert any(f.startswith("table6: diagonal resnet50") for f in found)
    with pytest.raises(ValueError, match="consistency check"):
        consistency.check(directory)


@pytest.mark.parametrize("table, match, column, value, expected", [
    (2, {"filters_n": "16", "res_blocks_r": "3"}, "params_thousands", "21.09", "table2: n=16 r=3"),
    (5, {"model": "efficientnet_b0", "resizer": "proposed", "resizer_input": "320"}, "gflops", "2.30",
     "resizer FLOPS overhead at 320->224"),
    (1, {"model": "mobilenet_v2"}, "proposed_value", "28.5", "table1: mobilenet_v2 proposed"),
    (9, {"method": "proposed", "distortion": "jpeg_q10"}, "top1_error_pct", "35.0", "table9: the proposed resizer"),
    (4, {"model": "densenet121", "resizer": "bilinear", "output": "256"}, "top1_error_pct", "30.9%", "not a plain number"),
])
def test_each_rule_family_can_fail(tmp_path, table, match, column, value, expected):
    directory = _copy_tables(tmp_path)
    _edit(directory / f"table{table}.csv", match, column, value)
    found, _ = consistency.failures(directory)
    assert any(expected in f for f in found), found


def test_layout_problems_are_reported_not_raised(tmp_path):
    directory = _copy_tables(tmp_path)
    with open(directory / "table7.csv", "a") as f:
        f.write("inception_v2,inception_v2,0.677\n")  # a short, extra row
    found, _ = consistency.failures(directory)
    assert "table7: 10 rows, expected 9" in found
    assert any(f.startswith("table7: ragged row") for f in found)
    (directory / "table9.csv").unlink()
    with pytest.raises(FileNotFoundError, match="table9.csv is missing"):
        consistency.failures(directory)
