"""Table 7: AVA PLCC/SRCC of a target backbone re-tuned with another backbone's trained
368->224 resizer (the diagonal: the backbone's own, the Table 5 model)."""

from resizer.tables import kinds, table5
from resizer.tables.spec import TableSpec

NUMBER = 7
TASK, DATASET = "iqa", "ava"

SPEC = TableSpec(
    number=NUMBER, datasets={TASK: DATASET}, rows=lambda: kinds.grid_rows(NUMBER, TASK, DATASET, table5),
    experiments=lambda rows: kinds.grid_experiments(rows, NUMBER, DATASET, table5), figure="generalization_grid")
