"""Prints Table 2: the learned resizer's parameters in thousands, for n in {16, 32} and r in 1..4.

The first CSV block uses the paper's convention (convolution kernel weights only, divided
by 1000 and truncated to 2 decimals) and equals resizer/paper/table2.csv cell for cell.
The second block gives the full Keras counts (biases and BN included) for reference.

    python scripts/params.py
"""

import _bootstrap  # noqa: F401

from absl import app

from resizer import LearnedResizer, count_conv_weights

FILTERS = (16, 32)
BLOCKS = (1, 2, 3, 4)


def truncate_thousands(count):
    """'21.08' for 21088: thousands truncated (not rounded) to 2 decimals, as the paper prints."""
    hundredths = count // 10
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def rows():
    for n in FILTERS:
        for r in BLOCKS:
            layer = LearnedResizer(8, filters=n, num_res_blocks=r)
            layer.build((None, 16, 16, 3))
            trainable = sum(int(w.shape.num_elements()) for w in layer.trainable_weights)
            non_trainable = sum(int(w.shape.num_elements()) for w in layer.non_trainable_weights)
            yield n, r, count_conv_weights(layer), trainable, non_trainable


def main(argv):
    del argv
    table = list(rows())
    print("filters_n,res_blocks_r,params_thousands")
    for n, r, conv, _, _ in table:
        print(f"{n},{r},{truncate_thousands(conv)}")
    print()
    print("filters_n,res_blocks_r,conv_kernel_weights,keras_trainable,keras_non_trainable")
    for n, r, conv, trainable, non_trainable in table:
        print(f"{n},{r},{conv},{trainable},{non_trainable}")


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
