"""Table 9: ResNet-50 top-1 error on distorted ImageNet, the learned resizer trained on the
distorted images against Liu et al. [20] (printed, not reproduced)."""

from resizer import experiments as ex
from resizer.tables import table4
from resizer.tables.spec import PublishedRow, TableSpec, paper_rows, printed_numbers, row_settings

NUMBER = 9
TASK, DATASET = "classification", "imagenet2012"
METRICS = ("top1_error_pct",)  # the only number Table 9 prints
SIZES = {"downscale4x": 56}  # resizer input: 4x down-scaled 224 images; the other distortions keep 224


def rows():
    published = paper_rows(NUMBER)
    liu = {r["distortion"]: r["top1_error_pct"] for r, _ in published if r["method"] == "liu2019"}
    out = []
    for r, raw in published:
        if r["method"] == "proposed":
            # Table 9 prints no sizes or resizer shape: only these settings define its rows.
            settings = row_settings({"backbone": r["model"], "resizer": "learned", "distortion": r["distortion"]},
                                    keys=("backbone", "resizer", "distortion", "resizer_trained_with"))
            out.append(PublishedRow(NUMBER, TASK, DATASET, f"{r['model']} proposed, {r['distortion']}", settings,
                                    {m: r[m] for m in METRICS}, printed_numbers(raw), r,
                                    note=f"[20] Liu et al.: {liu[r['distortion']]}"))
    return out


def experiments(rows):
    exps = []
    for row in rows:
        bb, distortion = row.backbone, row.settings["distortion"]
        size = SIZES.get(distortion, 224)
        exps.append(ex.proposed(f"table9/{bb}/{distortion}", NUMBER, DATASET, bb, size, table4.baseline(bb),
                                batch_size=ex.BATCH[224], distortion=distortion, row=row,
                                description=f"Table 9: ResNet-50 with a resizer trained on {distortion} images "
                                            f"({size} -> 224)"))
    return exps


SPEC = TableSpec(number=NUMBER, datasets={TASK: DATASET}, rows=rows, experiments=experiments,
                 figure="distortion_bars", metrics={TASK: METRICS})
