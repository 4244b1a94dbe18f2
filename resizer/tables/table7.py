"""Table 7: AVA PLCC/SRCC of a target backbone re-tuned with another backbone's trained
368->224 resizer (the diagonal: the backbone's own, the Table 5 model)."""

from resizer.tables import table5
from resizer.tables.spec import TableSpec
from resizer.tables.table6 import grid_experiments, grid_rows

NUMBER = 7
TASK, DATASET = "iqa", "ava"

SPEC = TableSpec(
    number=NUMBER, datasets={TASK: DATASET}, rows=lambda: grid_rows(NUMBER, TASK, DATASET, table5.NUMBER),
    experiments=lambda rows: grid_experiments(rows, NUMBER, DATASET, table5), figure="generalization_grid")
