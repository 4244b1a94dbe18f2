"""Figures of the published tables, with reproduced runs drawn beside the paper's marks.

One figure per table: Tables 4/5 as error (PLCC) against total GFLOPs per backbone, the
proposed and the baseline resizer as two curves (the comparison of Sections 4.1 and 4.2);
Tables 6/7 as target x initial-resizer grids; Table 8 as grouped bars over (r, n); Table 9
as bars against Liu et al. [20]. Reproduced values come from a `compare.Report`; without
one the figures show the published numbers alone.
"""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402  (Pillow: a dependency of matplotlib)

from resizer import paper, results, tables, tasks  # noqa: E402
from resizer.files import atomic_write
from resizer.data import distortions as distortions_lib  # noqa: E402

PROPOSED_COLOR, BASELINE_COLOR, OURS_COLOR = "#1f77b4", "#d62728", "black"
METRICS = tasks.reported_metrics()  # each metric's axis label and direction (resizer.tasks)
BACKBONE_NAMES = {"inception_v2": "Inception-v2", "densenet121": "DenseNet-121", "resnet50": "ResNet-50",
                  "mobilenet_v2": "MobileNet-v2", "efficientnet_b0": "EfficientNet-b0"}


def reproduced_points(report, table, task=None):
    """{row label: [(value of the primary metric, repo GFLOPs, partial?)]}, one per run (means left out)."""
    points = {}
    if report is None:
        return points
    for section in report.sections:
        if section.table != table or (task is not None and section.task != task):
            continue
        metric = section.metrics[0]
        for line in section.lines:
            if line.run and not line.run.startswith("mean") and line.reproduced.get(metric) is not None:
                points.setdefault(line.row.label, []).append(
                    (line.reproduced[metric], line.gflops_repo, line.status == "partial"))
    return points


def _grid(count):
    cols = 2 if count == 4 else count
    rows = (count + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.9 * rows), squeeze=False)
    return fig, list(axes.flat)


def _ours(ax, points, color, label):
    """Reproduced marks (x, y, partial?): hollow diamonds, partial runs as crosses."""
    for partial in (False, True):
        pts = [(x, y) for x, y, p in points if p == partial and x is not None]
        if not pts:
            continue
        kind = "ours, partial" if partial else "ours"
        style = {"marker": "x", "color": color} if partial else {"marker": "D", "facecolors": "none", "edgecolors": color}
        ax.scatter(*zip(*pts), s=55, linewidths=1.4, zorder=4, label=f"{label} ({kind})" if label else kind, **style)


def _table_data(table, report):
    """(task, plotted metric, published rows, backbones in paper order, our points) of Tables 4-7."""
    rows = tables.rows(table)
    task = rows[0].task
    return task, results_metric(task), rows, list(dict.fromkeys(r.backbone for r in rows)), \
        reproduced_points(report, table)


def plot_flops_table(table, report=None):
    """Tables 4/5: per backbone, metric against GFLOPs; proposed and baseline curves, paper and ours."""
    task, metric, rows, backbones, ours = _table_data(table, report)
    fig, axes = _grid(len(backbones))
    size_labels = []  # per panel: (points, labels, colours, sides), placed once the layout is final
    for ax, backbone in zip(axes, backbones):
        size_labels.append((ax, [], [], [], []))
        for kind, color, marker in (("proposed", PROPOSED_COLOR, "o"), ("baseline", BASELINE_COLOR, "s")):
            mine = [r for r in rows if r.backbone == backbone and (r.settings["resizer"] == "learned") == (kind == "proposed")]
            name = "proposed" if kind == "proposed" else mine[0].settings["resizer"]
            xs, ys = [r.gflops for r in mine], [r.metrics[metric] for r in mine]
            ax.plot(xs, ys, marker=marker, color=color, label=f"{name} (paper)")
            for r, x, y in zip(mine, xs, ys):
                size = r.settings["resizer_input"] if kind == "proposed" else r.settings["output"]
                # proposed sizes to the left, baseline sizes to the right: the curves often cross
                for column, value in zip(size_labels[-1][1:], ((x, y), str(size), color, -1 if kind == "proposed" else 1)):
                    column.append(value)
            _ours(ax, [(g, v, p) for r in mine for v, g, p in ours.get(r.label, [])], color, name)
        ax.set_title(BACKBONE_NAMES.get(backbone, backbone))
        ax.set_xlabel("total GFLOPs per image")
        ax.set_ylabel(METRICS[metric].axis_label
                      + (" (lower is better)" if METRICS[metric].lower_is_better else " (higher is better)"))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    what = "ImageNet top-1 error" if task == "classification" else "AVA PLCC"
    fig.suptitle(f"Table {table}: {what} against FLOPs (labels: resizer input / baseline output size)")
    fig.tight_layout()
    for panel in size_labels:
        _place_labels(*panel)
    return fig


def _place_labels(ax, points, labels, colors, sides, fontsize=7, gap=5, max_steps=6, marker_radius=3.5):
    """Writes each label beside its data point (side -1: left, +1: right) where its box, as the
    renderer measures it, overlaps no marker (a square of marker_radius points around every
    point) and no label placed before it: labels are placed from the lowest
    point up, each moved up or down by whole text heights (0, +1, -1, +2, ...) to the first free
    spot; a moved label gets a thin leader line. Call after the layout is final. Returns them."""
    from matplotlib.text import Text

    from matplotlib.transforms import Bbox

    renderer = ax.figure.canvas.get_renderer()
    order = sorted(range(len(points)), key=lambda i: ax.transData.transform(points[i])[1])
    radius = marker_radius * ax.figure.dpi / 72  # the markers are obstacles too
    placed = [Bbox.from_extents(x - radius, y - radius, x + radius, y + radius)
              for x, y in ax.transData.transform(points)]
    annotations = []
    for i in order:
        side = sides[i]
        style = dict(textcoords="offset points", ha="right" if side < 0 else "left", va="center",
                     fontsize=fontsize, color=colors[i])
        probe = ax.annotate(labels[i], points[i], xytext=(side * gap, 0), **style)
        step = Text.get_window_extent(probe, renderer).height * 72 / ax.figure.dpi + 1  # points
        chosen = 0.0
        for k in [0] + [s * n for n in range(1, max_steps + 1) for s in (1, -1)]:
            probe.xyann = (side * gap, k * step)
            probe.update_positions(renderer)
            if not any(Text.get_window_extent(probe, renderer).overlaps(box) for box in placed):
                chosen = k * step
                break
        probe.remove()
        leader = dict(arrowprops=dict(arrowstyle="-", lw=0.5, color=colors[i], shrinkA=0, shrinkB=3)) if chosen else {}
        annotation = ax.annotate(labels[i], points[i], xytext=(side * gap, chosen), **style, **leader)
        annotation.update_positions(renderer)
        placed.append(Text.get_window_extent(annotation, renderer))
        annotations.append(annotation)
    return annotations


def results_metric(task):
    """The metric the paper argues with: top-1 error for classification, PLCC for IQA."""
    return results.METRICS[task][0]


def plot_generalization(table, report=None):
    """Tables 6/7: target backbone (rows) x the backbone whose resizer initialised it (columns)."""
    task, metric, rows, models, ours = _table_data(table, report)
    grid = np.zeros((len(models), len(models)))
    fig, ax = plt.subplots(figsize=(1.5 * len(models) + 2.4, 1.1 * len(models) + 1.8))
    cells = {}
    for r in rows:
        initial = r.settings["resizer_trained_with"]
        if initial is None:  # the diagonal: the backbone's own resizer
            initial = r.backbone
        i, j = models.index(r.backbone), models.index(initial)
        grid[i, j] = r.metrics[metric]
        cells[i, j] = r
    # Colour each target row around its own diagonal: targets differ far more than initialisations.
    better = (np.diag(grid)[:, None] - grid) if METRICS[metric].lower_is_better else (grid - np.diag(grid)[:, None])
    limit = 1.6 * max(np.abs(better).max(), 1e-9)  # light colours keep the numbers readable
    ax.imshow(better, cmap="RdBu", vmin=-limit, vmax=limit)
    digits = 1 if task == "classification" else 3
    for (i, j), r in cells.items():
        text = f"{r.metrics[metric]:.{digits}f}"
        if r.label in ours:
            text += "\nours " + ", ".join(f"{v:.{digits + 1}f}" + ("*" if p else "") for v, _, p in ours[r.label])
        ax.text(j, i, text, ha="center", va="center", fontsize=8, weight="bold" if i == j else "normal")
    names = [BACKBONE_NAMES.get(m, m) for m in models]
    ax.set_xticks(range(len(models)), names, rotation=20, ha="right", fontsize=8)
    ax.set_yticks(range(len(models)), names, fontsize=8)
    ax.set_xlabel("resizer initialised from")
    ax.set_ylabel("target backbone (re-tuned)")
    what = "ImageNet top-1 error (%)" if task == "classification" else "AVA PLCC"
    ax.set_title(f"Table {table}: {what}\nblue: better than the target's own resizer (diagonal, bold)"
                 "; * partial run", fontsize=9)
    fig.tight_layout()
    return fig


def plot_ablation(table, report=None):
    """Table 8: grouped bars over (r, n) per backbone, one panel per task, ours as diamonds."""
    rows = tables.rows(table)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.9))
    configs = [(1, 16), (2, 16), (1, 32), (2, 32)]
    colors = ["#1f77b4", "#6baed6", "#ff7f0e", "#fdae6b"]
    width = 0.2
    for ax, task in zip(axes, tables.get(table).tasks):
        metric = results_metric(task)
        ours = reproduced_points(report, table, task)
        mine = [r for r in rows if r.task == task]
        backbones = list(dict.fromkeys(r.backbone for r in mine))
        values = [r.metrics[metric] for r in mine]
        reproduced = []
        for k, ((rb, n), color) in enumerate(zip(configs, colors)):
            cell = {r.backbone: r for r in mine if (r.settings["res_blocks_r"], r.settings["filters_n"]) == (rb, n)}
            xs = np.arange(len(backbones)) + (k - 1.5) * width
            ax.bar(xs, [cell[b].metrics[metric] for b in backbones], width, color=color, label=f"r={rb}, n={n} (paper)")
            reproduced += [(x, v, p) for x, b in zip(xs, backbones) for v, _, p in ours.get(cell[b].label, [])]
        _ours(ax, reproduced, OURS_COLOR, "")
        span = max(values) - min(values)
        ax.set_ylim(min(values) - 0.6 * span, max(values) + 0.4 * span)  # bars start near the data
        ax.set_xticks(range(len(backbones)), [BACKBONE_NAMES.get(b, b) for b in backbones], fontsize=8)
        ax.set_ylabel(METRICS[metric].axis_label)
        ax.set_title(tables.DATASET_TITLES[tables.get(table).datasets[task]])
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    fig.suptitle(f"Table {table}: resizer size (r residual blocks, n filters), 368->224")
    fig.tight_layout()
    return fig


def plot_distortions(table, report=None):
    """Table 9: ResNet-50 top-1 error on distorted images, Liu et al. [20] against the learned resizer."""
    published = paper.load(table)  # both methods: the spec's rows are the proposed ones
    rows = {r.settings["distortion"]: r for r in tables.rows(table)}
    distortions = list(dict.fromkeys(r["distortion"] for r in published))
    value = {(r["method"], r["distortion"]): r["top1_error_pct"] for r in published}
    ours = reproduced_points(report, table)
    fig, ax = plt.subplots(figsize=(6.4, 3.9))
    xs = np.arange(len(distortions))
    for offset, method, color, name in ((-0.18, "liu2019", "#7f7f7f", "Liu et al. [20] (paper)"),
                                        (0.18, "proposed", PROPOSED_COLOR, "proposed (paper)")):
        heights = [value[(method, d)] for d in distortions]
        ax.bar(xs + offset, heights, 0.36, color=color, label=name)
        for x, h in zip(xs + offset, heights):
            ax.annotate(f"{h:g}", (x, h), textcoords="offset points", xytext=(0, 2), ha="center", fontsize=7)
    _ours(ax, [(x + 0.18, v, p) for x, d in zip(xs, distortions) for v, _, p in ours.get(rows[d].label, [])],
          OURS_COLOR, "proposed")
    low = min(value.values())
    ax.set_ylim(low - 4, max(value.values()) + 2)
    ax.set_xticks(xs, [distortions_lib.get(d).short_label for d in distortions])
    ax.set_ylabel("ResNet-50 top-1 error (%)")
    ax.set_title(f"Table {table}: distorted ImageNet, then enhanced")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


# TableSpec.figure -> the function drawing it: (table number, compare.Report or None) -> Figure.
FIGURES = {"flops_curves": plot_flops_table, "generalization_grid": plot_generalization,
           "ablation_bars": plot_ablation, "distortion_bars": plot_distortions}


def plot_table(table, report=None):
    """The figure of a registered table (a matplotlib Figure; the caller saves and closes it)."""
    if table not in tables.numbers():
        raise ValueError(f"No figure for table {table!r}; choose one of {tables.numbers()}.")
    return FIGURES[tables.get(table).figure](table, report)


def _compact_png(path, colors=64):
    """A 64-colour palette: a third of the size, no visible change on flat-colour charts."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    small.save(path, format="png", optimize=True)


def save(fig, out_dir, name, formats=("png", "svg"), dpi=90, compact_png=True):
    """Writes name.<format> for each format (atomically) and closes the figure; returns the paths.

    compact_png: store PNGs with a 64-colour palette (charts; not for photographs).
    """
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for fmt in formats:
        path = os.path.join(out_dir, f"{name}.{fmt}")

        def write(tmp, fmt=fmt):
            fig.savefig(tmp, dpi=dpi, format=fmt)
            if fmt == "png" and compact_png:
                _compact_png(tmp)

        atomic_write(path, write)
        paths.append(path)
    plt.close(fig)
    return paths


def draw(tables, out_dir, report=None, formats=("png", "svg"), dpi=90):
    """Saves table<N>.<format> for every table; returns the written paths."""
    paths = []
    for table in tables:
        paths += save(plot_table(table, report), out_dir, f"table{table}", formats, dpi)
    return paths
