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


def flops_tables():
    """Numbers of the registered tables that print GFLOPs per row (TableSpec.prints_flops)."""
    from resizer import tables

    return tuple(spec.number for spec in tables.specs() if spec.prints_flops)


def row_model(row):
    """The model of a published row (a resizer.tables PublishedRow), built from its settings:
    the learned resizer (resizer_input -> output) in front of the backbone, or the fixed
    baseline resize with the backbone at `output`."""
    from resizer.data import registry
    from resizer.models import build
    from resizer.settings import build_kwargs

    return build(**build_kwargs(row.settings, row.task, registry.info(row.dataset).num_classes))


def row_gflops(row, counter=None):
    """Forward GFLOPs per image of a row's model, or None for a row that prints no sizes (Table 9)."""
    if "output" not in row.settings:
        return None
    model = row_model(row)
    return (counter or count_flops)(model) / 1e9


def measure_table(table, rows=None, counter=count_flops, on_row=None):
    """Measured GFLOPs beside the published ones for rows of a table that prints them (4, 5).

    rows: the PublishedRows to measure (default all of `resizer.tables.rows(table)`). Each
    result is the row as the paper prints it (`row.paper`) plus measured_gflops, ratio
    (measured / paper) and, for learned-resizer rows, the resizer's share (row minus the
    same backbone's fixed-resize row at the same output size) measured and published.
    on_row: optional callback(result) after each row, for progress output.
    """
    from resizer import tables

    if table not in flops_tables():
        raise ValueError(f"FLOPS are published in tables {list(flops_tables())}, not {table!r}.")
    published = tables.rows(table)
    rows = published if rows is None else list(rows)
    cache = {}

    def measured(row):
        key = tuple(sorted(row.settings.items()))
        if key not in cache:
            cache[key] = row_gflops(row, counter)
        return cache[key]

    results = []
    for row in rows:
        result = dict(row.paper, paper_gflops=row.gflops, measured_gflops=measured(row))
        del result["gflops"]
        result["ratio"] = result["measured_gflops"] / row.gflops
        result["paper_resizer_share"] = result["measured_resizer_share"] = result["share_ratio"] = None
        if row.settings["resizer"] == "learned":
            base = next(r for r in published if r.backbone == row.backbone and r.settings["resizer"] != "learned"
                        and r.settings["output"] == row.settings["output"])
            result["paper_resizer_share"] = row.gflops - base.gflops
            result["measured_resizer_share"] = result["measured_gflops"] - measured(base)
            result["share_ratio"] = result["measured_resizer_share"] / result["paper_resizer_share"]
        results.append(result)
        if on_row is not None:
            on_row(result)
    return results
