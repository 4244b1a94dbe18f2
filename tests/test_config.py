"""resizer.config: flags <-> Config, and errors that name the flag before any data is read."""

import dataclasses
import os
import subprocess
import sys

import pytest
from absl import flags

from resizer import config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKBONES = ("resnet50", "tiny_cnn", "densenet121")


def parse(argv):
    fv = flags.FlagValues()
    config.define_flags(fv)
    fv(["prog", *argv])
    return fv


def make(**values):
    base = dict(experiment="x", backbone="resnet50")
    return config.make({**base, **values}, backbones=BACKBONES)


def test_every_field_is_a_flag_with_help():
    fields = [f.name for f in dataclasses.fields(config.Config)]
    names = [name for name, _, _ in config.FLAGS]
    assert sorted(fields) == sorted(names) and len(names) == len(set(names))
    assert all(len(help_text) > 15 for _, _, help_text in config.FLAGS)


def test_flag_defaults_are_the_dataclass_defaults():
    fv = parse([])
    for field in dataclasses.fields(config.Config):
        assert fv[field.name].value == field.default, field.name


def test_row_flag_file_resolves_into_config():
    os.chdir(ROOT)  # flag files include each other by paths relative to the repository root
    cfg = config.from_flags(parse(["--flagfile=configs/table4/resnet50/proposed_368.flags"]), backbones=BACKBONES)
    assert (cfg.backbone, cfg.resizer, cfg.resizer_input, cfg.output, cfg.batch_size) == (
        "resnet50", "learned", 368, 224, 48)
    assert (cfg.table, cfg.dataset, cfg.task, cfg.momentum, cfg.lr_decay_rate) == (4, "imagenet2012",
                                                                                    "classification", 0.9, 0.94)
    assert cfg.resolved_model_dir() == "runs/table4/resnet50/proposed_368"
    assert (cfg.model_input, cfg.pipeline_size) == (368, 368)


def test_later_flag_overrides_the_flag_file():
    os.chdir(ROOT)
    fv = parse(["--flagfile=configs/table4/resnet50/proposed_368.flags", "--batch_size=24"])
    assert config.from_flags(fv, backbones=BACKBONES).batch_size == 24


def test_unknown_flag_in_a_flag_file_names_it(tmp_path):
    bad = tmp_path / "mine.flags"
    bad.write_text("--flagfile=configs/demo/learned_64.flags\n--resizer_inptu=128\n")
    os.chdir(ROOT)
    with pytest.raises(flags.Error, match="resizer_inptu"):
        parse([f"--flagfile={bad}"])


@pytest.mark.parametrize("values,flag", [
    (dict(resizer="learned", resizer_input=128, output=224), "--resizer_input"),
    (dict(resizer="learned", output=224), "--resizer_input"),
    (dict(resizer="learned", resizer_input=64, output=224, distortion="downscale4x"), "--resizer_input"),
    (dict(resizer="bilinear", resizer_input=112, output=224), "--resizer_input"),  # a fixed resizer in the model only down-scales
    (dict(resizer="bilinear", init_resizer_from="table4/resnet50/proposed_368"), "--init_resizer_from"),
    (dict(task="iqa", dataset="imagenet2012"), "--task"),
    (dict(task="classification", dataset="ava"), "--task"),
    (dict(backbone="resnet_50"), "--backbone"),
    (dict(distortion="blur"), "--distortion"),
    (dict(batch_size=0), "--batch_size"),
    (dict(table=3), "--table"),
    (dict(learning_rate=0.0), "--learning_rate"),
    (dict(experiment="", model_dir=""), "--experiment"),
    (dict(tpu="grpc://10.0.0.1:8470"), "--tpu"),
])
def test_impossible_combinations_name_the_flag(values, flag):
    with pytest.raises(ValueError, match="^" + flag + ":"):
        make(**values)


def test_downscale4x_lets_the_resizer_upscale_four_times():
    cfg = make(resizer="learned", resizer_input=56, output=224, distortion="downscale4x")
    assert (cfg.model_input, cfg.pipeline_size) == (56, 224)
    baseline = make(resizer="bilinear", output=224, distortion="downscale4x")
    assert (baseline.model_input, baseline.pipeline_size) == (56, 224)


def test_smoke_overrides_data_and_drops_the_table():
    cfg = make(resizer="learned", resizer_input=368, output=224, table=4, smoke=True, batch_size=48)
    assert cfg.dataset == "synthetic" and cfg.table is None and cfg.batch_size == config.SMOKE["batch_size"]
    assert (cfg.resizer_input, cfg.output) == (368, 224)  # the row's model is kept
    assert cfg.resolved_model_dir() == "runs/smoke/x"


def test_script_rejects_a_bad_flag_file_before_reading_data(tmp_path):
    bad = tmp_path / "mine.flags"
    bad.write_text("--flagfile=configs/demo/learned_64.flags\n--resizer_input=8\n")
    model_dir = tmp_path / "run"
    proc = subprocess.run([sys.executable, "scripts/train.py", f"--flagfile={bad}", f"--model_dir={model_dir}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "--resizer_input: 8 is smaller than --output=16" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not model_dir.exists()


def test_names_come_from_their_registries():
    from resizer import resizers, tasks
    from resizer.data import distortions, registry

    for flag, good, bad in (("dataset", "cifar10", "cifar"), ("resizer", "bicubic", "bicubik"),
                            ("distortion", "jpeg_q10", "jpeg_q11"), ("interpolation", "lanczos3", "lanczos")):
        make(**{flag: good}, **({"task": "classification", "eval_split": "test"} if flag == "dataset" else {}))
        with pytest.raises(ValueError, match=rf"^--{flag}: Unknown .*Did you mean"):
            make(**{flag: bad})
    assert {"learned", "bilinear", "bicubic"} <= set(resizers.names())
    assert set(tasks.names()) >= {"classification", "iqa"} and "downscale4x" in distortions.names()
    assert "synthetic" in registry.names()
    with pytest.raises(ValueError, match="^--task: --task=classification does not fit --dataset=ava, a iqa dataset"):
        make(dataset="ava")


def test_backbone_registry_and_keras_names():
    cfg = config.make({"experiment": "x", "backbone": "keras:MobileNetV3Small"})
    assert cfg.backbone == "keras:MobileNetV3Small"
    with pytest.raises(ValueError, match="^--backbone: .*no model 'MobileNetV3Smal'.*did you mean keras:MobileNetV3Small"):
        config.make({"experiment": "x", "backbone": "keras:MobileNetV3Smal"})
    with pytest.raises(ValueError, match="^--backbone: Unknown backbone 'resnet5'.*Did you mean resnet50"):
        config.make({"experiment": "x", "backbone": "resnet5"})
    with pytest.raises(ValueError, match="^--backbone_module: cannot import 'no_such_module_here'"):
        config.make({"experiment": "x", "backbone_module": "no_such_module_here"})


def test_smoke_of_an_evaluation_only_row_stays_evaluation_only():
    row = dict(experiment="x", resizer="learned", resizer_input=368, train_epochs=0.0, init_backbone_from="a",
               init_resizer_from="a")
    cfg = make(**row, smoke=True)
    assert cfg.evaluation_only and cfg.dataset == "synthetic" and cfg.keep_checkpoints == 1
    assert not make(**{**row, "train_epochs": 1.0}, smoke=True).evaluation_only


def test_smoke_validates_the_row_first_and_lists_what_it_changes():
    with pytest.raises(ValueError, match="^--batch_size: must be >= 1, got 0"):
        make(batch_size=0, smoke=True)
    with pytest.raises(ValueError, match="^--task: "):
        make(dataset="ava", smoke=True)
    row = make(batch_size=3)
    changes = config.smoke_changes(row, config.smoke(row))
    assert "--batch_size=3 -> 2" in changes and "--dataset=imagenet2012 -> synthetic" in changes


def test_smoke_says_what_it_changes_on_the_command_line():
    out = subprocess.run([sys.executable, "scripts/train.py", "--experiment=x", "--backbone=tiny_cnn", "--output=16",
                          "--batch_size=3", "--smoke", "--runs_dir=/nonexistent/never", "--train_steps=0",
                          "--train_epochs=0", "--init_backbone_from=zzz"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    # One line says both what the smoke run changes and what its numbers mean.
    (line,) = [l for l in out.stdout.splitlines() if l.startswith("smoke run")]
    assert "; it changes " in line and "--batch_size=3 -> 2" in line, out.stdout[-2000:]
    assert "say nothing about this configuration" in line


def test_shape_flags_of_a_fixed_resizer_are_refused_not_ignored():
    fv = parse(["--experiment=x", "--backbone=resnet50", "--resizer=bilinear", "--filters=32"])
    with pytest.raises(ValueError, match="^--filters: --resizer=bilinear has no filters; it would be ignored"):
        config.from_flags(fv, backbones=BACKBONES)
    fv = parse(["--experiment=x", "--backbone=resnet50", "--resizer=learned", "--resizer_input=256", "--filters=32"])
    assert config.from_flags(fv, backbones=BACKBONES).filters == 32
