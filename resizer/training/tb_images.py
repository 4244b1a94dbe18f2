"""At each evaluation, a few fixed photographs through the run's learned resizer, in TensorBoard:
the paper's Figures 4-6, live during training.

One image summary per photograph, tag `resizer/<name>`, in `<model_dir>/eval`: three panels
side by side, [plain resize | learned resize | learned - plain], as scripts/visualize.py shows them
(visualize.display_panels: the plain and the learned output on one shared range, the signed
difference on a diverging map over +-its 99.5th percentile; the description gives both scales).
Small outputs are enlarged by pixel repetition so that they are readable.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import tensorflow as tf

from resizer.models import parts

# Photographs shipped inside the scikit-image wheel: fixed across runs, no download.
IMAGES = ("astronaut", "chelsea", "coffee")
TAG = "resizer/{}"
MIN_HEIGHT = 128  # pixels: outputs smaller than this are enlarged by an integer factor
_GAP = 2  # white pixels between panels


@functools.lru_cache(maxsize=4)
def sample_images(names=IMAGES):
    """{name: float32 RGB in [0, 1]} of scikit-image sample photographs (decoded once a process)."""
    from resizer import visualize  # matplotlib: imported at the first evaluation, not with the loop

    return {name: visualize.sample_image(name) for name in names}


def panels(resizer, image, input_size):
    """([plain | learned | difference] as one float RGB array in [0, 1], description)."""
    import matplotlib

    from resizer import visualize

    p = visualize.resize_panels(resizer, image, input_size)
    shown = visualize.display_panels(p)
    scale, captions = shown["scale"], shown["captions"]
    diff = matplotlib.colormaps[visualize.DIFFERENCE_CMAP](0.5 + 0.5 * np.clip(shown["difference"] / scale, -1, 1))
    h = p["plain"].shape[0]
    gap = np.ones((h, _GAP, 3), np.float32)
    row = np.concatenate([shown["plain"], gap, shown["learned"], gap, diff[..., :3].astype(np.float32)], axis=1)
    factor = max(1, math.ceil(MIN_HEIGHT / h))
    row = row.repeat(factor, axis=0).repeat(factor, axis=1)
    out_h, out_w = p["plain"].shape[:2]
    method = resizer.interpolation
    description = (f"{out_h}x{out_w}, left to right: plain {method} resize ({captions['plain']}) | learned resize "
                   f"({captions['learned']}) | learned - {method} (+-{scale:.3f}, red = learned brighter)"
                   + (f"; shown enlarged {factor}x" if factor > 1 else ""))
    return row, description


def write_resizer_images(model, images, step, logdir):
    """Writes one `resizer/<name>` image summary per {name: image} (None: sample_images()) at
    `step` into `logdir`.

    The images are centre-cropped and resized to the model's input as the data pipeline
    does, then through the model's resizer layer in inference mode. A model with a fixed
    resize has no learned output to show: nothing is written. Returns the number written."""
    from resizer import visualize

    resizer = parts(model)["resizer"]
    if resizer is None:
        return 0
    images = sample_images() if images is None else images
    size = visualize.model_input_size(model)
    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default(step=step):
        for name, image in images.items():
            row, description = panels(resizer, image, size)
            tf.summary.image(TAG.format(name), row[None], max_outputs=1, description=description)
    writer.close()
    return len(images)
