"""resizer.settings: the one settings record, the re-evaluation rule, and settings -> build()."""

import dataclasses

import pytest

from resizer import config, experiments, results, settings
from resizer.training import loop


def test_settings_of_a_config_an_experiment_and_a_mapping_agree():
    exp = experiments.get("table8/imagenet/resnet50/r2_n32")
    cfg = config.make({"experiment": exp.name, "backbone": exp.backbone, "resizer": "learned", "resizer_input": 368,
                       "output": 224, "filters": 32, "res_blocks": 2, "batch_size": 48})
    by_config = settings.settings_of(cfg, None, "a", "b")
    assert list(by_config) == list(results.SETTINGS)
    assert by_config == settings.settings_of(dataclasses.asdict(cfg), None, "a", "b")  # config.json
    assert {k: v for k, v in by_config.items() if not k.endswith("_crop")} == {
        k: v for k, v in exp.settings().items() if not k.endswith("_crop")}
    assert settings.settings_of({"backbone": "resnet50", "resizer": "bilinear", "resizer_input": 368, "output": 256,
                                 "filters": 16, "distortion": ""}) == {
        **dict.fromkeys(results.SETTINGS), "backbone": "resnet50", "resizer": "bilinear", "resizer_input": 368,
        "output": 256}  # a fixed resizer given an input side resizes in the model: recorded


def test_the_reevaluation_rule_and_the_backbone_that_trained_the_resizer():
    runs = {
        "scratch": {"backbone": "resnet50", "train_epochs": 10, "init_backbone_from": "base"},
        "retuned": {"backbone": "mobilenet_v2", "train_epochs": 4, "init_resizer_from": "scratch",
                    "init_backbone_from": "mbase"},
        "again": {"backbone": "mobilenet_v2", "train_epochs": 0, "train_steps": 0, "init_resizer_from": "retuned",
                  "init_backbone_from": "retuned"},
        "assembled": {"backbone": "densenet121", "train_epochs": 0, "init_resizer_from": "scratch",
                      "init_backbone_from": "dbase"},
    }
    assert not settings.evaluation_only(runs["retuned"]) and settings.evaluation_only(runs["assembled"])
    assert settings.evaluation_only({"train_epochs": 0, "train_steps": 5}) is False
    assert settings.reuses_a_model(runs["again"]) and not settings.reuses_a_model(runs["assembled"])
    trained_with = {name: settings.resizer_trained_with(run, runs.get) for name, run in runs.items()}
    # "again" re-evaluates "retuned", whose resizer ResNet-50's run trained.
    assert trained_with == {"scratch": None, "retuned": "resnet50", "again": "resnet50", "assembled": "resnet50"}
    # A run that cannot be read is not "from scratch" (None would match the Table 6/7 diagonal).
    assert settings.resizer_trained_with({"init_resizer_from": "elsewhere"}, lambda _: None) == settings.UNKNOWN


@pytest.mark.parametrize("values", [
    dict(resizer="learned", resizer_input=64, output=16, filters=8, res_blocks=2),
    dict(resizer="bilinear", output=32, distortion="downscale4x"),
    dict(resizer="bicubic", output=16, task="iqa", dataset="ava", interpolation="bicubic"),
])
def test_a_results_settings_record_rebuilds_the_model_the_run_trained(values):
    # Config.model_config is build_kwargs of the run's own record; what is left to test is that
    # the record as results.json stores it (JSON, the crops filled in) still holds every argument.
    import json

    from resizer.models import build

    cfg = config.make({"experiment": "x", "backbone": "tiny_cnn", "num_classes": 4, **values})
    record = json.loads(json.dumps(cfg.settings("crop", "crop", resizer_trained_with="resnet50")))
    kwargs = settings.build_kwargs(record, cfg.task, cfg.num_classes)
    assert build(**kwargs).get_config() == loop.build_model(cfg).get_config()
