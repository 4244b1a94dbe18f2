"""Original, plain resize, learned resize and their difference, per image (Figures 2, 4-6).

    python scripts/visualize.py --checkpoint runs/table4/resnet50/proposed_368
    python scripts/visualize.py --checkpoint model.keras --images photo1.jpg,chelsea --out_dir results/figures

--checkpoint: a scripts/train.py model directory (its latest checkpoint), a checkpoint
prefix, or a .keras file of a model with a `learned_resizer` layer. --images: file paths or scikit-image sample names (astronaut, chelsea, coffee,
rocket: photographs shipped inside the pinned scikit-image wheel); default: those four.
The learned output is not bounded to [0, 1]. By default (--display=shared) it is shown beside
the plain resize on one range per image, the 0.5th..99.5th percentile of both together (each
panel gives the range and the learned panel the share beyond it), and their difference in a
diverging colour map on a symmetric range. --display=clip clips it to [0, 1]; --display=stretch
maps its own 1st..99th percentile to [0, 1].
"""

import _bootstrap  # noqa: F401

import os
import sys

from absl import app, flags

_CHECKPOINT = flags.DEFINE_string("checkpoint", None, "A train.py model directory, a checkpoint prefix, or a .keras model file.")
_IMAGES = flags.DEFINE_list("images", [], "Image files or scikit-image sample names (default: astronaut, "
                            "chelsea, coffee, rocket).")
_INPUT_SIZE = flags.DEFINE_integer("input_size", 0, "Side the images are resized to before the resizer "
                                   "(0: the model's input size, or the centre crop itself when it has none).")
_OUT_DIR = flags.DEFINE_string("out_dir", "results/figures", "Where the figure is written.")
_NAME = flags.DEFINE_string("name", "resized", "File name of the figure, without extension.")
_FORMATS = flags.DEFINE_list("formats", ["png", "svg"], "Image formats (matplotlib names).")
_DPI = flags.DEFINE_integer("dpi", 100, "Resolution of raster formats.")
_DISPLAY = flags.DEFINE_enum("display", "shared", ["shared", "clip", "stretch"], "How the learned output, which "
                             "is not bounded to [0, 1], is shown: on one range with the plain resize (the joint "
                             "0.5..99.5th percentile), clipped, or its own 1st..99th percentile stretched to [0, 1].")
_TITLE = flags.DEFINE_string("title", "", "Figure title (default: 'Learned resizer of <checkpoint>').")
flags.mark_flag_as_required("checkpoint")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from resizer import plots, visualize

    names = _IMAGES.value or list(visualize.DEFAULT_IMAGES)
    try:
        resizer, model_size = visualize.load_resizer(_CHECKPOINT.value)
        images = [visualize.read_image(n) if os.path.sep in n or os.path.isfile(n) else visualize.sample_image(n)
                  for n in names]
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f"error: {e}")
    size = (_INPUT_SIZE.value, _INPUT_SIZE.value) if _INPUT_SIZE.value else model_size
    labels = [os.path.splitext(os.path.basename(n))[0] for n in names]
    fig = visualize.figure(resizer, images, labels, input_size=size, title=_TITLE.value or f"Learned resizer of {_CHECKPOINT.value}",
                           display=_DISPLAY.value)
    for path in plots.save(fig, _OUT_DIR.value, _NAME.value, tuple(_FORMATS.value), _DPI.value, compact_png=False):
        print(f"wrote {path}")


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
