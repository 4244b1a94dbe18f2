"""Scripts from any folder: flag-file includes resolve from the including file (resizer.flagfile),
a mistyped flag file gets a suggestion, --helpshort lists the run flags, and a new user's first
commands print no traceback and no line that looks like an error (resizer._quiet)."""

import os
import subprocess
import sys

import pytest
from absl import flags

from resizer import _quiet, cli, config, flagfile, paths
from resizer.training import smoke

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROW = os.path.join(ROOT, "configs", "table4", "resnet50", "proposed_368.flags")


def _absl_values(argv):
    fv = flags.FlagValues()
    config.define_flags(fv)
    fv(argv)
    return {name: fv[name].value for name, _, _ in config.FLAGS}


def test_configs_parse_the_same_from_any_folder_as_absl_parses_them_from_the_root(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    reference = _absl_values(["train.py", "--flagfile=configs/table4/resnet50/proposed_368.flags"])  # absl's own reading
    monkeypatch.chdir(tmp_path)
    expanded = flagfile.expand_argv(["train.py", f"--flagfile={ROW}", "--seed=3"])
    assert _absl_values(expanded) == {**reference, "seed": 3}
    assert reference["output"] == 224 and reference["dataset"] == "imagenet2012"  # from the included files
    assert flagfile.read(ROW)["batch_size"] == str(reference["batch_size"])


def test_an_include_is_relative_to_the_file_that_includes_it(tmp_path, monkeypatch):
    (tmp_path / "base.flags").write_text("--batch_size=7\n--seed=1\n")
    (tmp_path / "rows").mkdir()
    (tmp_path / "rows" / "row.flags").write_text("# a row\n--flagfile=../base.flags\n--seed=2\n")
    monkeypatch.chdir(ROOT)  # where absl would not find ../base.flags (it resolves against the working directory)
    assert flagfile.read(str(tmp_path / "rows" / "row.flags")) == {"batch_size": "7", "seed": "2"}
    # the separate `--flagfile path` form, and nothing after `--` expanded
    assert flagfile.expand_argv(["x", "--flagfile", str(tmp_path / "base.flags"), "--", "--flagfile=y"]) == [
        "x", "--batch_size=7", "--seed=1", "--", "--flagfile=y"]


def test_a_command_line_flag_file_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "mine.flags").write_text("--flagfile=configs/demo/learned_64.flags\n--seed=5\n")
    monkeypatch.chdir(tmp_path)
    values = flagfile.read("mine.flags")  # its include, named from the repository root, is found too
    assert values["seed"] == "5" and values["experiment"] == "demo/learned_64"


def test_a_mistyped_flag_file_gets_a_suggestion(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(FileNotFoundError, match=r"did you mean configs/table4/resnet50/proposed_368\.flags\?"):
        flagfile.read("configs/table4/resnet50/proposed_386.flags")
    (tmp_path / "mine.flags").write_text("--flagfile=configs/demo/tiny_cnnn.flags\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=rf"mine\.flags: flag file configs/demo/tiny_cnnn\.flags not found.*"
                                                rf"did you mean {paths.CONFIGS}/demo/tiny_cnn\.flags\?"):
        flagfile.read("mine.flags")
    (tmp_path / "loop.flags").write_text("--flagfile=loop.flags\n")
    with pytest.raises(ValueError, match="includes itself"):
        flagfile.read("loop.flags")


def _script(args, cwd, env=None, timeout=120):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env)


def test_train_runs_a_row_from_another_folder_up_to_validation(tmp_path):
    # The command (table4 row, --smoke) from another folder: the row and its three
    # includes resolve; the deliberate bad value then stops it at validation, before any data.
    proc = _script([os.path.join(ROOT, "scripts", "train.py"), f"--flagfile={ROW}", "--smoke",
                    "--resizer_input=100", f"--runs_dir={tmp_path}"], cwd=tmp_path)
    assert proc.returncode == 1
    assert "--resizer_input: 100 is smaller than --output=224" in proc.stderr
    assert "Traceback" not in proc.stderr and not os.listdir(tmp_path)


def test_a_script_with_a_mistyped_flag_file_exits_with_one_line(monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit) as exit_:
        cli.prepare_argv(["scripts/train.py", "--flagfile=configs/table4/resnet50/proposed_386.flags"])
    assert exit_.value.code == (
        "train.py: error: flag file configs/table4/resnet50/proposed_386.flags not found (looked for "
        f"{ROOT}/configs/table4/resnet50/proposed_386.flags); did you mean "
        "configs/table4/resnet50/proposed_368.flags?")


@pytest.mark.slow
def test_train_smoke_runs_a_demo_row_from_another_folder(tmp_path):
    proc = _script([os.path.join(ROOT, "scripts", "train.py"), f"--flagfile={paths.CONFIGS}/demo/bilinear_16.flags",
                    "--smoke", "--runs_dir=runs"], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "runs" / "smoke" / "demo" / "bilinear_16" / "results.json").is_file()  # under the caller's folder
    (line,) = [l for l in proc.stdout.splitlines() if l.startswith("smoke run: ")]  # said once, not per loop
    plain = smoke.note(config.make({"experiment": "demo/bilinear_16", "smoke": True}))  # the note without changes
    assert line.startswith(plain.split(". The loss")[0] + "; it changes --") and line.endswith(plain.split(". ")[-1])
    # training and evaluation write the same TensorBoard tags, so they share a chart
    import tensorflow as tf

    run = tmp_path / "runs" / "smoke" / "demo" / "bilinear_16"
    tags = {}
    for part in ("train", "eval"):
        tags[part] = {value.tag for path in (run / part).glob("events.out.tfevents.*")
                      for event in tf.compat.v1.train.summary_iterator(str(path)) for value in event.summary.value}
    assert {"top1_error_pct", "loss"} <= tags["eval"] <= tags["train"]


def test_helpshort_lists_the_run_flags():
    proc = _script([os.path.join(ROOT, "scripts", "train.py"), "--helpshort"], cwd="/")  # absl exits 1 after help
    assert "Traceback" not in proc.stderr
    for name in ("--batch_size", "--flagfile", "--smoke", "--resizer_input"):
        assert name in proc.stdout


def _quiet_env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user's shell has it
    return {**env, "PYTHONPATH": ROOT, **extra}


def _looks_wrong(stderr):
    return [line for line in stderr.splitlines() if "E0000" in line or "Traceback" in line or line.startswith(
        ("I0000", "W0000", "WARNING", "E1", "W1")) or "error" in line.lower()]


def test_import_resizer_then_tensorflow_prints_nothing_alarming(tmp_path):
    code = "import resizer; import tensorflow as tf; tf.config.list_physical_devices(); print(tf.constant(2).numpy())"
    proc = _script(["-c", code], cwd=tmp_path, env=_quiet_env())
    assert proc.returncode == 0 and proc.stdout.strip() == "2"
    assert _looks_wrong(proc.stderr) == [], proc.stderr


def test_prepare_data_without_downloads_says_one_line(tmp_path):
    proc = _script([os.path.join(ROOT, "scripts", "prepare_data.py"), "--dataset", "imagenet2012"], cwd=tmp_path,
                   env=_quiet_env(RESIZER_DATA_DIR=str(tmp_path)))
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("prepare_data.py: error: imagenet2012: ") and "downloads/manual is missing" in line


def test_the_filter_keeps_what_the_level_keeps():
    lines = [_quiet._BANNER + "\n",
             "I0000 00:00:1796120128.482982    8445 port.cc:153] oneDNN custom operations are on.\n",
             "I0000 00:00:1796120128.482982    8445 cpu_feature_guard.cc:227] This TensorFlow binary\n",
             "To enable the following instructions: AVX2, rebuild TensorFlow.\n",
             "E0000 00:00:1796120134.116715    8445 cuda_platform.cc:52] failed call to cuInit: INTERNAL\n",
             "E0000 00:00:1796120134.116715    8445 some_op.cc:1] a real error\n",
             "a line of Python's\n"]
    assert _quiet.keep(lines, 2, hide_cuinit=True) == lines[3:4] + lines[5:]
    assert _quiet.keep(lines, 2, hide_cuinit=False) == lines[3:4] + lines[4:]
    assert _quiet.keep(lines, 0, hide_cuinit=False) == lines
    assert _quiet.keep(lines, 3, hide_cuinit=False) == lines[3:4] + lines[6:]  # continuation lines are kept
