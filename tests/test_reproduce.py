"""The table runner: run order, skip/resume states, commands, cost estimates, failures."""

import os
import subprocess
import sys

import pytest

from resizer import experiments, results, table_runner, tables
from test_compare import ROOT, make_results


def test_dependencies_run_first():
    order = [e.name for e in table_runner.select(6, "mobilenet_v2")]
    assert set(experiments.names(6)) & set(order) == {f"table6/mobilenet_v2/from_{r.backbone}" for r in tables.rows(4)}
    for i, name in enumerate(order):
        for dep in experiments.get(name).depends_on:
            assert dep in order[:i], f"{name} runs before {dep}"
    assert order.index("table4/resnet50/proposed_368") < order.index("table6/mobilenet_v2/from_resnet50")
    table4 = [e.name for e in table_runner.select(4, "resnet50")]
    assert table4[0] == "table4/resnet50/bilinear_224" and len(table4) == 10
    with pytest.raises(ValueError, match="no 'efficientnet_b0' experiments; backbones: densenet121"):
        table_runner.select(4, "efficientnet_b0")
    with pytest.raises(ValueError, match="no experiments reproduce table 3"):
        table_runner.select(3)


def _write(runs, name, **kw):
    results.write(os.path.join(runs, name, "results.json"), make_results(experiment=name, **kw))


def test_states_skip_done_and_resume_interrupted(tmp_path):
    runs = str(tmp_path)
    exp = experiments.get("table4/resnet50/proposed_368")
    assert table_runner.state(exp, runs) == "new"
    os.makedirs(tmp_path / exp.name)
    (tmp_path / exp.name / "ckpt-1.index").write_text("")
    assert table_runner.state(exp, runs) == "resume"
    _write(runs, exp.name, epochs=exp.train_epochs / 2, planned_epochs=exp.train_epochs)
    assert table_runner.state(exp, runs) == "resume"
    _write(runs, exp.name, epochs=exp.train_epochs, planned_epochs=exp.train_epochs)
    assert table_runner.state(exp, runs) == "done"
    (tmp_path / exp.name / "results.json").write_text("{")
    assert table_runner.state(exp, runs) == "resume"


def test_dry_run_prints_runnable_commands_and_comments(tmp_path):
    runs = str(tmp_path / "runs")
    _write(runs, "table4/resnet50/bilinear_224", epochs=experiments.EPOCHS_SCRATCH,
           planned_epochs=experiments.EPOCHS_SCRATCH)
    text = table_runner.format_dry_run(table_runner.plan(6, "resnet50", runs_dir=runs))
    lines = text.splitlines()
    assert all(l.startswith("# ") or l.startswith("python scripts/") for l in lines)
    flags = f"--flagfile=configs/table6/resnet50/from_densenet121.flags --runs_dir={runs}"
    i = lines.index(f"python scripts/train.py {flags}")  # it evaluates at the end: no eval.py line
    assert f"python scripts/eval.py {flags}" not in lines
    assert lines[i - 1].startswith("# table6/resnet50/from_densenet121 [new]: 8.61 GFLOPs/image")
    # The diagonal only evaluates the Table 4 model; the finished baseline is commented out.
    diag = f"--flagfile=configs/table6/resnet50/from_resnet50.flags --runs_dir={runs}"
    assert f"python scripts/train.py {diag}" not in lines and f"python scripts/eval.py {diag}" in lines
    assert f"# done: python scripts/train.py --flagfile=configs/table4/resnet50/bilinear_224.flags --runs_dir={runs}" in lines
    assert lines[-2].startswith("# GPU-hours on 1x A100 40GB, TF32 + XLA (ResNet-50 v1.5 trains at 808 images/s")
    assert lines[-1].startswith("# 11 of 12 experiments to run:") and " GPU-hours" in lines[-1]


def test_execute_skips_what_starts_from_a_failure(tmp_path):
    steps = table_runner.plan(6, "resnet50", runs_dir=str(tmp_path))
    ran = []

    def fake_run(command):
        ran.append(command)
        return 1 if "table4/densenet121/proposed_368.flags" in command and "train.py" in command else 0

    failed = table_runner.execute(steps, run=fake_run, log=lambda *_: None)
    assert failed == ["table4/densenet121/proposed_368", "table6/resnet50/from_densenet121"]
    assert not any("from_densenet121" in c for c in ran)
    assert any("table6/resnet50/from_mobilenet_v2.flags" in c for c in ran)  # independent rows go on


def test_reproduce_script_dry_run(tmp_path):
    out = subprocess.run([sys.executable, "scripts/reproduce.py", "--table=9", "--dry_run", "--card=v100-fp32",
                          f"--runs_dir={tmp_path}"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    # ResNet-50 v2 at 224 for 100 epochs on a V100 (412 images/s of the 8.18-GFLOP v1.5), 4 checkpoints of
    # 25.6 M weights + their momentum in float32.
    assert lines[0].startswith("# table4/resnet50/bilinear_224 [new]: 6.97 GFLOPs/image (paper)")
    assert lines[0].endswith("= 2.68 EFLOPs ~ 73.6 GPU-hours, 819 MB disk"), lines[0]
    assert sum(l.startswith("python scripts/train.py --flagfile=configs/") for l in lines) == 4
    assert lines[-2].startswith("# GPU-hours on 1x V100 16GB, FP32 + XLA (ResNet-50 v1.5 trains at 412 images/s")
    assert lines[-1] == ("# 4 of 4 experiments to run: 167 M training images, ~3.61 EFLOPs, ~99.3 GPU-hours, "
                         "3.28 GB of model directories (the dataset aside)")
    bad = subprocess.run([sys.executable, "scripts/reproduce.py", "--table=9", "--dry_run", "--images_per_second=0"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "images_per_second must be > 0" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow  # three ResNet-50 smoke runs (~90 s on 2 cores)
def test_dry_run_commands_run_as_printed_under_smoke(tmp_path):
    runs = str(tmp_path / "runs")
    script = table_runner.format_dry_run(table_runner.plan(8, "resnet50", runs_dir=runs))
    commands = [line for line in script.splitlines() if line.startswith("python ")][:3]
    # The baseline, the joint run it starts, and the evaluation-only (1, 16) cell that re-evaluates that run.
    assert [c.split()[1] for c in commands] == ["scripts/train.py", "scripts/train.py", "scripts/eval.py"]
    for command in commands:
        argv = [sys.executable] + command.split()[1:] + ["--smoke"]
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, (command, proc.stderr[-3000:])
        assert "Traceback" not in proc.stderr
    cell = results.read(os.path.join(runs, "smoke", "table8/imagenet/resnet50/r1_n16", "results.json"))
    joint = results.read(os.path.join(runs, "smoke", "table4/resnet50/proposed_368", "results.json"))
    assert cell["smoke"] and cell["training"]["steps"] == 0 and joint["training"]["steps"] == 3
    assert cell["metrics"] == joint["metrics"]  # the cell evaluates the joint run's smoke model again


def test_executed_commands_name_the_clones_files_from_any_folder(tmp_path, monkeypatch):
    import shlex

    monkeypatch.chdir(tmp_path)
    python = str(tmp_path / "my env" / "python")  # a space: the command must still split into its parts
    steps = table_runner.plan(9, runs_dir="runs", python=python, absolute=True)
    ran = []

    def fake_run(command):
        argv = shlex.split(command)
        ran.append(argv)
        assert argv[0] == python and os.path.isfile(argv[1]), argv
        assert os.path.isfile(argv[2].split("=", 1)[1]), argv  # the flag file, found from tmp_path
        return 0

    assert table_runner.execute(steps, run=fake_run, log=lambda *_: None) == []
    assert len(ran) == 4 and all(os.path.isabs(a[1]) for a in ran)
    dry = table_runner.plan(9, runs_dir="runs")  # what --dry_run prints: relative to the clone
    assert dry[0].commands == ("python scripts/train.py --flagfile=configs/table4/resnet50/bilinear_224.flags",)
