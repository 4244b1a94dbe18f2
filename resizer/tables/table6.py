"""Table 6: ImageNet top-1/top-5 error of a target backbone re-tuned with another backbone's
trained 368->224 resizer (the diagonal: the backbone's own, the Table 4 model)."""

from resizer.tables import kinds, table4
from resizer.tables.spec import TableSpec

NUMBER = 6
TASK, DATASET = "classification", "imagenet2012"

SPEC = TableSpec(
    number=NUMBER, datasets={TASK: DATASET}, rows=lambda: kinds.grid_rows(NUMBER, TASK, DATASET, table4),
    experiments=lambda rows: kinds.grid_experiments(rows, NUMBER, DATASET, table4), figure="generalization_grid")
