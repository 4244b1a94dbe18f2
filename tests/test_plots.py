"""Figures of the published tables, with reproduced runs marked beside them."""

import os
import subprocess
import sys

import matplotlib.pyplot as plt
import pytest

from resizer import compare, plots, tables
from test_compare import ROOT, make_results, write_run


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    write_run(root, "p368", make_results(gflops=8.7, metrics={"top1_error_pct": 23.4, "top5_error_pct": 6.9}))
    write_run(root, "b256", make_results(resizer="bilinear", output=256, batch_size=96, gflops=9.1, epochs=10.0,
                                         metrics={"top1_error_pct": 25.0, "top5_error_pct": 8.0}))
    write_run(root, "t6", make_results(table=6, backbone="mobilenet_v2", resizer_trained_with="resnet50",
                                       metrics={"top1_error_pct": 28.3, "top5_error_pct": 9.5}))
    write_run(root, "t9", make_results(table=9, distortion="jpeg_q10", metrics={"top1_error_pct": 34.0,
                                                                                "top5_error_pct": 12.0}))
    return compare.build_report(str(root))


def _ours(ax):
    return {c.get_label(): c.get_offsets().tolist() for c in ax.collections if "ours" in c.get_label()}


def _axis(fig, title):
    (ax,) = [a for a in fig.axes if a.get_title() == title]
    return ax


def test_flops_figure_has_paper_curves_and_our_runs_at_their_flops(report):
    fig = plots.plot_table(4, report)
    assert len(fig.axes) == 4
    ax = _axis(fig, "ResNet-50")
    curves = {l.get_label(): (list(l.get_xdata()), list(l.get_ydata())) for l in ax.lines}
    assert curves["proposed (paper)"] == ([8.16, 8.24, 8.43, 8.61, 8.95], [23.7, 23.8, 23.4, 23.0, 23.7])
    assert curves["bilinear (paper)"][1] == [24.7, 23.5, 22.5, 22.1, 21.9]
    assert _ours(ax) == {"proposed (ours)": [[8.7, 23.4]], "bilinear (ours, partial)": [[9.1, 25.0]]}
    assert _ours(_axis(fig, "MobileNet-v2")) == {}
    assert ax.get_xlabel() == "total GFLOPs per image" and "top-1 error" in ax.get_ylabel()
    plt.close(fig)


def test_published_only_figures_have_no_reproduced_marks():
    for table in tables.numbers():
        fig = plots.plot_table(table)
        assert all(_ours(ax) == {} for ax in fig.axes)
        assert not any("ours" in t.get_text() for ax in fig.axes for t in ax.texts)
        plt.close(fig)
    fig = plots.plot_table(5)
    assert [a.get_title() for a in fig.axes] == ["Inception-v2", "DenseNet-121", "EfficientNet-b0"]
    assert fig.axes[0].get_ylabel().startswith("PLCC")
    plt.close(fig)


def test_generalization_grid_writes_ours_under_the_published_cell(report):
    fig = plots.plot_table(6, report)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "28.0\nours 28.30" in texts  # mobilenet_v2 target, resnet50 resizer
    assert "23.0\nours 23.40" in texts  # the diagonal is the 368->224 run
    assert len(texts) == 16
    plt.close(fig)


def test_ablation_and_distortion_figures(report):
    fig = plots.plot_table(8, report)
    cls, iqa = fig.axes
    assert len(cls.patches) == 16 and len(iqa.patches) == 12  # bars: 4 (r, n) per backbone
    (marks,) = _ours(cls).values()
    assert [y for _, y in marks] == [23.4]
    plt.close(fig)
    fig = plots.plot_table(9, report)
    assert [round(p.get_height(), 1) for p in fig.axes[0].patches] == [31.8, 29.1, 34.9, 31.1, 28.6, 34.5]
    assert [y for _, y in _ours(fig.axes[0])["proposed (ours)"]] == [34.0]
    # Each bar pair is labelled by its distortion's registered label, in the published order.
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["down-scaled 4x", "Gaussian noise 0.1",
                                                                    "JPEG q=10"]
    plt.close(fig)
    with pytest.raises(ValueError, match="No figure for table 2"):
        plots.plot_table(2)


def test_draw_writes_png_and_svg(tmp_path, report):
    paths = plots.draw((9,), str(tmp_path), report)
    assert sorted(os.path.basename(p) for p in paths) == ["table9.png", "table9.svg"]
    with open(tmp_path / "table9.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (tmp_path / "table9.svg").read_text()[:2000]
    assert sorted(os.listdir(tmp_path)) == ["table9.png", "table9.svg"]  # no temporary files left


def test_plot_script_draws_published_numbers_without_runs(tmp_path):
    out = subprocess.run([sys.executable, "scripts/plot.py", f"--results_dir={tmp_path / 'none'}", "--table=8",
                          f"--out_dir={tmp_path / 'figs'}", "--formats=png"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "drawing the published numbers alone" in out.stderr
    assert os.listdir(tmp_path / "figs") == ["table8.png"]


def _label_boxes(ax):
    from matplotlib.text import Text

    renderer = ax.figure.canvas.get_renderer()
    return [(t.get_text(), Text.get_window_extent(t, renderer)) for t in ax.texts]


@pytest.mark.parametrize("table,panel", [(4, "ResNet-50"), (4, "Inception-v2"), (5, "Inception-v2")])
def test_size_labels_of_clustered_points_do_not_overlap(table, panel):
    fig = plots.plot_table(table)
    ax = _axis(fig, panel)
    boxes = _label_boxes(ax)
    backbone = {name: key for key, name in plots.BACKBONE_NAMES.items()}[panel]
    rows = [r for r in tables.rows(table) if r.backbone == backbone]
    assert len(boxes) == len(rows) > 4  # every size is labelled once
    overlapping = [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:] if box_a.overlaps(box_b)]
    assert overlapping == []
    markers = [ax.transData.transform(xy) for line in ax.lines for xy in line.get_xydata()]
    assert not [(text, box) for text, box in boxes for x, y in markers if box.contains(x, y)]  # nor cover a point
    # each label still starts at its own point's side: within a few text heights of it
    for text, (_, box) in zip(ax.texts, boxes):
        anchor = ax.transData.transform(text.xy)
        assert abs((box.y0 + box.y1) / 2 - anchor[1]) <= 7 * box.height
    plt.close(fig)
