"""The registry, the flag files in configs/ and the published tables agree."""

import os
import sys

import pytest

from resizer import config, experiments, flagfile, paper
from resizer.models import BACKBONES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import make_configs  # noqa: E402

EXPERIMENTS = list(experiments.EXPERIMENTS.values())
TYPES = {name: kind for name, kind, _ in config.FLAGS}


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # flag files include each other relative to the repository root


def resolved_config(exp):
    values = flagfile.read(exp.flagfile)
    typed = {}
    for name, text in values.items():
        kind = TYPES[name]  # KeyError: a flag file sets a flag the scripts do not define
        typed[name] = (text == "true" if kind is bool else int(text) if kind is int
                       else float(text) if kind is float else text)
    return config.make(typed, backbones=BACKBONES)


def test_configs_directory_is_what_make_configs_writes():
    expected = make_configs.files()
    on_disk = {}
    for dirpath, _, names in os.walk("configs"):
        for name in names:
            path = os.path.relpath(os.path.join(dirpath, name), "configs")
            if path.startswith("validate" + os.sep):  # hand-written (resizer/validate.py, tests/test_validate.py)
                continue
            with open(os.path.join(dirpath, name)) as f:
                on_disk[path] = f.read()
    assert sorted(on_disk) == sorted(expected)
    drift = [p for p in expected if on_disk[p] != expected[p]]
    assert not drift, f"run python scripts/make_configs.py: {drift[:5]}"


@pytest.mark.parametrize("exp", EXPERIMENTS, ids=lambda e: e.name)
def test_flag_file_matches_registry_and_published_row(exp):
    cfg = resolved_config(exp)
    assert cfg.experiment == exp.name and cfg.table == exp.table
    assert (cfg.dataset, cfg.task, cfg.backbone, cfg.resizer) == (exp.dataset, exp.task, exp.backbone, exp.resizer)
    assert (cfg.output, cfg.batch_size, cfg.interpolation) == (exp.output, exp.batch_size, exp.interpolation)
    assert (cfg.distortion or None) == exp.distortion
    assert (cfg.init_backbone_from or None, cfg.init_resizer_from or None) == (exp.init_backbone_from,
                                                                               exp.init_resizer_from)
    assert cfg.train_epochs == exp.epochs and cfg.learning_rate == exp.learning_rate
    if exp.resizer == "learned":
        assert (cfg.resizer_input, cfg.filters, cfg.res_blocks) == (exp.resizer_input, exp.filters_n,
                                                                    exp.res_blocks_r)
    else:
        assert cfg.resizer_input is None
    settings = cfg.settings("crop", "crop", exp.settings()["init_resizer_from"])
    assert {k: settings[k] for k in exp.settings()} == exp.settings()

    row = experiments.published_row(exp)
    if exp.table in (4, 5):
        assert row["model"] == cfg.backbone and row["batch_size"] == cfg.batch_size and row["output"] == cfg.output
        assert row["resizer"] == ("proposed" if cfg.learned else cfg.resizer)
        assert row["resizer_input"] == (cfg.resizer_input if cfg.learned else None)
    if exp.table in (6, 7, 8):  # all at 368 -> 224, batch 48 (as the 368 rows of Tables 4 and 5)
        assert (cfg.resizer_input, cfg.output, cfg.batch_size) == (368, 224, 48)
        assert (row.get("target_model") or row["model"]) == cfg.backbone
    if exp.table in (6, 7):
        assert row["initial_model"] == experiments.get(cfg.init_resizer_from).backbone
    if exp.table == 8:
        assert (row["res_blocks_r"], row["filters_n"], row["task"]) == (cfg.res_blocks, cfg.filters, cfg.task)
    if exp.table == 9:
        assert (row["model"], row["distortion"]) == (cfg.backbone, cfg.distortion)


@pytest.mark.parametrize("table", [4, 5, 6, 7, 8, 9])
def test_every_published_row_has_exactly_one_experiment(table):
    rows = [r for r in paper.load(table) if r.get("method", "proposed") == "proposed"]
    matched = [experiments.published_row(e) for e in EXPERIMENTS if e.table == table]
    assert len(matched) == len(rows)
    assert sorted(map(str, matched)) == sorted(map(str, rows))


def test_dependencies_exist_and_come_first():
    for exp in EXPERIMENTS:
        order = [e.name for e in experiments.in_dependency_order([exp.name])]
        assert order[-1] == exp.name
        for dep in exp.depends_on:
            assert dep in experiments.EXPERIMENTS
            assert order.index(dep) < order.index(exp.name)
    everything = experiments.in_dependency_order(experiments.names())
    assert len(everything) == len(EXPERIMENTS)


def test_dependency_rules_of_the_tables():
    get = experiments.get
    assert get("table4/densenet121/proposed_448").depends_on == ("table4/densenet121/bilinear_224",)
    assert get("table4/densenet121/bilinear_224").depends_on == ()
    assert set(get("table6/mobilenet_v2/from_resnet50").depends_on) == {"table4/mobilenet_v2/bilinear_224",
                                                                        "table4/resnet50/proposed_368"}
    assert get("table6/mobilenet_v2/from_resnet50").epochs == 4
    assert get("table6/resnet50/from_resnet50").evaluation_only  # the Table 4 model itself
    assert get("table8/imagenet/resnet50/r1_n16").evaluation_only
    assert get("table8/ava/densenet121/r2_n32").depends_on == ("table5/densenet121/bicubic_224",)
    assert get("table5/efficientnet_b0/bicubic_224").depends_on == ("imagenet/efficientnet_b0/bilinear_224",)
    assert get("table9/resnet50/downscale4x").resizer_input == 56


def test_learning_rates_are_the_papers():
    for exp in EXPERIMENTS:
        if exp.dataset != "synthetic" and not exp.evaluation_only:
            scratch = not exp.depends_on
            assert exp.learning_rate == (0.05 if scratch else 0.005), exp.name


def test_unknown_name_suggests_close_ones():
    with pytest.raises(KeyError, match="table4/resnet50/proposed_368"):
        experiments.get("table4/resnet50/proposed368")


@pytest.mark.parametrize("table", [4, 5, 6, 7, 8, 9])
def test_compare_matches_each_experiment_to_its_own_row(table):
    from resizer import compare

    rows = compare.published_rows(table)
    for exp in (e for e in EXPERIMENTS if e.table == table):
        run = {"task": exp.task, "dataset": exp.dataset, "table": exp.table, "settings": exp.settings()}
        matched = [r for r in rows if r.matches(run)]
        assert len(matched) == 1, exp.name
        mine = experiments.published_row(exp)
        values = [mine[k] for k in ("top1_error_pct", "top5_error_pct", "plcc", "srcc", "metric_a", "metric_b")
                  if mine.get(k) is not None]
        assert list(matched[0].metrics.values()) == values, exp.name
