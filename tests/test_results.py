"""results.json: the schema is enforced, documented in docs/results.md, and written atomically."""

import copy
import json
import os
import re
import stat

import pytest

from resizer import results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "results.md")


def documented_example():
    with open(DOC) as f:
        text = f.read()
    return json.loads(re.search(r"```json\n(.*?)\n```", text, re.S).group(1))


def assert_refused(path, value, message):
    """The documented example with the field at `path` set to `value` fails validation with `message`."""
    broken = copy.deepcopy(documented_example())
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValueError, match=re.escape(message)):
        results.validate(broken)


def test_documented_example_is_valid():
    example = documented_example()
    assert results.validate(example) is example
    assert example["settings"]["resizer"] == "learned" and example["task"] == "classification"


def test_every_field_is_documented():
    with open(DOC) as f:
        text = f.read()
    for prefix, spec in (("", results.SCHEMA), ("settings.", results.SETTINGS), ("training.", results.TRAINING)):
        for key in spec:
            assert f"| `{prefix}{key}` |" in text, prefix + key


@pytest.mark.parametrize("path,value,message", [
    (("table",), "4", "table: expected"),
    (("settings", "output"), None, "settings.output: expected"),
    (("training", "steps"), 1.5, "training.steps: expected"),
    (("full_split",), 1, "full_split: expected"),
    (("task",), "detection", "task: expected one of"),
    (("metrics",), {"plcc": 0.5}, "metrics: a classification result needs"),
    (("settings", "resizer"), "lanczos3", "settings.resizer: expected one of"),
    (("schema_version",), 3, "schema_version: expected 2"),
    (("schema_version",), 1, "results.json of schema version 1, this code reads 2 (version 1 files name"),
    (("smoke",), "yes", "smoke: expected"),
    (("settings", "filters_n"), True, "settings.filters_n: expected"),
])
def test_invalid_values_are_named(path, value, message):
    assert_refused(path, value, message)


def test_missing_fields_are_all_listed():
    broken = copy.deepcopy(documented_example())
    del broken["gflops"], broken["hardware"]
    with pytest.raises(ValueError) as error:
        results.validate(broken)
    assert "gflops: missing" in str(error.value) and "hardware: missing" in str(error.value)


def test_write_is_atomic_and_readable(tmp_path):
    path = tmp_path / "run" / "results.json"
    example = documented_example()
    results.write(str(path), example)
    assert results.read(str(path)) == example
    assert os.listdir(path.parent) == ["results.json"]  # no temporary file left
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    bad = copy.deepcopy(example)
    bad["metrics"] = {}
    with pytest.raises(ValueError):
        results.write(str(path), bad)
    assert results.read(str(path)) == example  # the invalid write left the file untouched
    assert os.listdir(path.parent) == ["results.json"]


def test_read_names_the_file(tmp_path):
    path = tmp_path / "results.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match=str(path)):
        results.read(str(path))


def test_atomic_write_leaves_no_partial_file_and_readable_mode(tmp_path):
    import os
    import stat

    from resizer.files import atomic_write, atomic_write_text

    target = tmp_path / "sub" / "file.txt"
    atomic_write_text(str(target), "old")

    def broken(tmp):
        with open(tmp, "w") as f:
            f.write("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(str(target), broken)
    assert target.read_text() == "old"                     # the old file survives a failed write
    assert os.listdir(target.parent) == ["file.txt"]       # and no temporary file is left
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644  # readable by others (mkstemp gives 0600)
