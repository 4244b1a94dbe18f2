"""Forward FLOPs per image, counted as the paper's Tables 4 and 5 count them.

The model is traced at batch 1, its variables frozen into constants, and the TF profiler
(`tf.compat.v1.profiler`, float_operation) counts the floating-point operations of the
ops it has statistics for. Only Conv2D, DepthwiseConv2dNative and MatMul are summed: these
are the multiply-adds that dominate a CNN (2 FLOPs per multiply-add), and summing them
reproduces the paper's numbers. Elementwise ops (BN, bias, activations) are left out, and
the profiler has no statistics at all for ResizeBilinear/ResizeBicubic or LeakyRelu, so
the resizer's interpolations and activations count zero: the resizer's FLOPs are its
convolutions.
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

COUNTED_OPS = ("Conv2D", "DepthwiseConv2dNative", "MatMul")


def flops_by_op(model):
    """{op type: forward FLOPs per image} of every op the profiler has statistics for."""
    shape = [1] + [int(d) for d in model.input_shape[1:]]
    if any(d is None for d in shape):
        raise ValueError(f"count_flops needs a fixed input shape, got {model.input_shape} for {model.name}.")
    forward = tf.function(lambda x: model(x, training=False))
    concrete = forward.get_concrete_function(tf.TensorSpec(shape, tf.float32))
    graph_def = convert_variables_to_constants_v2(concrete).graph.as_graph_def()
    with tf.Graph().as_default() as graph:
        tf.graph_util.import_graph_def(graph_def, name="")
        options = (tf.compat.v1.profiler.ProfileOptionBuilder(tf.compat.v1.profiler.ProfileOptionBuilder
                                                              .float_operation()).with_empty_output().build())
        # The "scope" view lists every node with its own FLOPs; the "op" view nests them
        # unpredictably, so the totals per op type are summed here.
        profile = tf.compat.v1.profiler.profile(graph=graph, run_meta=tf.compat.v1.RunMetadata(), cmd="scope",
                                                options=options)
        totals = {}
        pending = list(profile.children)
        while pending:
            node = pending.pop()
            pending.extend(node.children)
            if node.float_ops:
                op_type = graph.get_operation_by_name(node.name).type
                totals[op_type] = totals.get(op_type, 0) + int(node.float_ops)
    return totals


def count_flops(model, op_types=COUNTED_OPS):
    """Forward FLOPs per image of a Keras model with a fixed input shape (see module doc)."""
    by_op = flops_by_op(model)
    return sum(by_op.get(op, 0) for op in op_types)


TABLE_TASKS = {4: "classification", 5: "iqa"}


def row_model(table, row):
    """The model of a Table 4/5 row: the learned resizer (resizer_input -> output) in front of
    the backbone, or the fixed baseline resize with the backbone at `output`."""
    from resizer.models import build

    if table not in TABLE_TASKS:
        raise ValueError(f"FLOPS are published in tables {sorted(TABLE_TASKS)}, not {table!r}.")
    task = TABLE_TASKS[table]
    if row["resizer"] == "proposed":
        return build(task, row["model"], "learned", row["resizer_input"], row["output"])
    return build(task, row["model"], row["resizer"], row["output"], row["output"])


def _is_default_baseline(row):
    return row["resizer"] != "proposed" and row["output"] == 224


def measure_table(table, rows=None, counter=count_flops, on_row=None):
    """Measured GFLOPs beside the published ones for rows of Table 4 or 5.

    rows: the rows to measure (default all; `resizer.paper.load(table)` dicts). Each result
    adds measured_gflops, ratio (measured / paper) and, for proposed rows, the resizer's
    share (row minus the same model's 224 baseline) measured and published.
    on_row: optional callback(result) after each row, for progress output.
    """
    from resizer import paper

    published = paper.load(table)
    rows = published if rows is None else list(rows)
    cache = {}

    def measured(row):
        key = (row["model"], row["resizer"], row["resizer_input"], row["output"])
        if key not in cache:
            model = row_model(table, row)
            cache[key] = counter(model) / 1e9
            del model
        return cache[key]

    results = []
    for row in rows:
        result = dict(row, paper_gflops=row["gflops"], measured_gflops=measured(row))
        del result["gflops"]
        result["ratio"] = result["measured_gflops"] / row["gflops"]
        result["paper_resizer_share"] = result["measured_resizer_share"] = result["share_ratio"] = None
        if row["resizer"] == "proposed":
            base = next(r for r in published if r["model"] == row["model"] and _is_default_baseline(r))
            result["paper_resizer_share"] = row["gflops"] - base["gflops"]
            result["measured_resizer_share"] = result["measured_gflops"] - measured(base)
            result["share_ratio"] = result["measured_resizer_share"] / result["paper_resizer_share"]
        results.append(result)
        if on_row is not None:
            on_row(result)
    return results
