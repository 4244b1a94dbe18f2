"""The registry, the flag files in configs/ (generated from it) and the published tables agree."""

import os
import subprocess
import sys

import pytest

from resizer import config, experiments, flagfile, paper, settings, tables
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
    problems = make_configs.check("configs", make_configs.files())
    assert not problems, f"run python scripts/make_configs.py: {problems[:5]}"


def test_check_accepts_hand_written_flag_files_only_where_documented(tmp_path):
    expected = {"common.flags": "--seed=0\n", "t/a.flags": "--flagfile=configs/common.flags\n"}
    for path, text in expected.items():
        os.makedirs(tmp_path / os.path.dirname(path), exist_ok=True)
        (tmp_path / path).write_text(text)
    assert make_configs.check(str(tmp_path), expected) == []
    for folder in make_configs.HAND_WRITTEN:
        os.makedirs(tmp_path / folder, exist_ok=True)
        (tmp_path / folder / "mine.flags").write_text("--batch_size=8\n")
    (tmp_path / "t" / "marked.flags").write_text(make_configs.HAND_WRITTEN_MARK + ": a one-off run.\n")
    assert make_configs.check(str(tmp_path), expected) == []
    (tmp_path / "t" / "stray.flags").write_text("--batch_size=8\n")
    (tmp_path / "t" / "a.flags").write_text("--flagfile=configs/common.flags\n--seed=1\n")
    problems = make_configs.check(str(tmp_path), expected)
    assert problems[0] == f"differs: {tmp_path / 't/a.flags'}"
    assert problems[1].startswith(f"not in the registry: {tmp_path / 't/stray.flags'}")
    assert len(problems) == 2


def test_shared_flag_files_come_from_config_defaults_and_dataset_info():
    from resizer.data import registry

    defaults = config.Config()
    common = flagfile.read("configs/common.flags")
    for name in experiments.COMMON_FLAGS:  # parsed back, the file sets Config's defaults (or our override)
        kind = TYPES[name]
        value = kind(common[name]) if kind in (int, float) else common[name]
        assert value == experiments.COMMON_OVERRIDES.get(name, getattr(defaults, name)), name
    assert make_configs.flag_value(4e-5) == "0.00004" and make_configs.flag_value(2.0) == "2"
    for exp in EXPERIMENTS:
        info = registry.info(exp.dataset)
        shared = flagfile.read(f"configs/{experiments.dataset_flagfile(exp.dataset)}.flags")
        assert (shared["task"], shared["dataset"], shared["interpolation"]) == (info.task, info.name,
                                                                                info.interpolation)
        assert (shared["train_split"], shared["eval_split"]) == (info.train_split, info.eval_split)
        if info.task == "classification":
            assert int(shared["num_classes"]) == info.num_classes


@pytest.mark.parametrize("exp", EXPERIMENTS, ids=lambda e: e.name)
def test_flag_file_is_the_experiment_and_its_run_matches_only_its_row(exp):
    cfg = resolved_config(exp)
    assert cfg.experiment == exp.name and cfg.table == exp.table
    assert (cfg.dataset, cfg.task, cfg.backbone, cfg.resizer) == (exp.dataset, exp.task, exp.backbone, exp.resizer)
    assert (cfg.output, cfg.batch_size, cfg.interpolation) == (exp.output, exp.batch_size, exp.interpolation)
    assert (cfg.distortion or None) == exp.distortion
    assert (cfg.init_backbone_from or None, cfg.init_resizer_from or None) == (exp.init_backbone_from,
                                                                               exp.init_resizer_from)
    assert cfg.train_epochs == exp.train_epochs and cfg.learning_rate == exp.learning_rate
    if exp.resizer == "learned":
        assert (cfg.resizer_input, cfg.filters, cfg.res_blocks) == (exp.resizer_input, exp.filters, exp.res_blocks)
    else:
        assert cfg.resizer_input is None
    trained_with = settings.resizer_trained_with(cfg, experiments.EXPERIMENTS.get)
    recorded = cfg.settings("crop", "crop", trained_with)
    assert {k: v for k, v in recorded.items() if not k.endswith("_crop")} == {
        k: v for k, v in exp.settings().items() if not k.endswith("_crop")}
    # What the run will record matches exactly the row its table made it from, in every table.
    run = {"task": cfg.task, "dataset": cfg.dataset, "table": cfg.table, "settings": recorded}
    found = tables.matching(run, (exp.table,) if exp.table is not None else ())
    assert [row for _, row in found] == ([exp.row] if exp.row is not None else [])
    if exp.row is not None and exp.row.batch_size is not None:
        assert cfg.batch_size == exp.row.batch_size


@pytest.mark.parametrize("table", tables.numbers())
def test_every_published_row_has_exactly_one_experiment(table):
    rows = tables.rows(table)
    made = [e.row for e in EXPERIMENTS if e.table == table]
    assert made == rows  # the factory makes one experiment per row, in the paper's order
    proposed = [r for r in paper.load(table) if r.get("method", "proposed") == "proposed"]
    assert [r.paper for r in rows] == proposed  # Table 9: Liu et al.'s rows are printed, not reproduced


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
    assert get("table6/mobilenet_v2/from_resnet50").train_epochs == 4
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


def test_numbers_imports_no_table_module():
    code = ("import sys; from resizer import tables; n = tables.numbers(); "
            "assert not [m for m in sys.modules if m.startswith('resizer.tables.table')], sys.modules; print(n)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "(4, 5, 6, 7, 8, 9)"


TABLE10 = '''
from resizer import experiments as ex
from resizer import tables
from resizer.tables.spec import PublishedRow, TableSpec


def rows():  # a made-up table: Table 4's ResNet-50 bilinear rows, printed again
    return [PublishedRow(10, r.task, r.dataset, r.label, r.settings, r.metrics, r.printed, r.paper, r.gflops,
                         r.batch_size) for r in tables.rows(4) if r.label.startswith("resnet50 bilinear")]


def experiments(rows):
    return [ex.Experiment(f"table10/resnet50/bilinear_{r.settings['output']}", 10, "imagenet2012", "resnet50",
                          "bilinear", output=r.settings["output"], batch_size=r.batch_size, row=r) for r in rows]


SPEC = TableSpec(number=10, datasets={"classification": "imagenet2012"}, rows=rows, experiments=experiments,
                 figure="flops_curves", prints_flops=True)
'''


@pytest.fixture
def table10(tmp_path, monkeypatch):
    (tmp_path / "table10.py").write_text(TABLE10)
    monkeypatch.setattr(tables, "__path__", [*tables.__path__, str(tmp_path)])
    caches = (tables._modules, tables.get, tables._rows, experiments.registry)
    for cache in caches:
        cache.cache_clear()
    yield
    monkeypatch.undo()
    for cache in caches:
        cache.cache_clear()
    sys.modules.pop("resizer.tables.table10", None)


def test_a_new_table_is_one_file(table10, tmp_path):
    from resizer import compare, plots

    assert tables.numbers() == (4, 5, 6, 7, 8, 9, 10) and compare.parse_tables("10") == (10,)
    assert experiments.names(10) == [f"table10/resnet50/bilinear_{s}" for s in (224, 256, 320, 368, 448)]
    exp = experiments.get("table10/resnet50/bilinear_256")
    assert tables.matching(exp.record(), (10,)) == [(10, exp.row)]
    assert "table10/resnet50/bilinear_256.flags" in make_configs.files()
    report = compare.build_report(str(tmp_path), (10,))
    assert [s.title.split(" (")[0] for s in report.sections] == ["Table 10"] and len(report.lines()) == 5
    fig = plots.plot_table(10)
    assert [a.get_title() for a in fig.axes] == ["ResNet-50"]
    plots.plt.close(fig)
