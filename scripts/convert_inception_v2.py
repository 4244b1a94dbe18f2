"""Converts a TF-slim Inception-v2 checkpoint into a Keras model file for --backbone_weights.

The slim checkpoint (http://download.tensorflow.org/models/inception_v2_2016_08_28.tar.gz,
1001 classes with background first) becomes a `.keras` file of our Inception-v2 classifier
(1000 ImageNet classes, background class 0 dropped), which `resizer.models.load_pretrained`
takes as initial weights: `scripts/train.py --backbone=inception_v2
--backbone_weights=/path/inception_v2.keras`, or `scripts/eval.py
--flagfile=configs/validate/slim_inception_v2.flags --backbone_weights=...` to validate it.

    python scripts/convert_inception_v2.py --checkpoint=/path/inception_v2.ckpt \
        --output=/path/inception_v2.keras
"""

import _bootstrap  # noqa: F401

import os
import tempfile

from absl import app, flags

from resizer.models import build, load_pretrained

_CHECKPOINT = flags.DEFINE_string("checkpoint", None, "TF-slim checkpoint prefix, e.g. .../inception_v2.ckpt.")
_OUTPUT = flags.DEFINE_string("output", None, "Where to write the converted model (.keras or .weights.h5).")
flags.mark_flags_as_required(["checkpoint", "output"])


def convert(checkpoint, output):
    """Loads the slim checkpoint into a 1000-class Inception-v2 and saves it atomically."""
    if not output.endswith((".keras", ".weights.h5")):
        raise app.UsageError(f"--output must end in .keras or .weights.h5, got {output!r}.")
    model = build("classification", "inception_v2", resizer="bilinear", input_size=224, output_size=224,
                  num_classes=1000)
    report = load_pretrained(model, checkpoint)
    folder = os.path.dirname(os.path.abspath(output))
    os.makedirs(folder, exist_ok=True)
    suffix = ".weights.h5" if output.endswith(".weights.h5") else ".keras"
    fd, tmp = tempfile.mkstemp(suffix=suffix, dir=folder)
    os.close(fd)
    try:
        if suffix == ".keras":
            model.save(tmp)
        else:
            model.save_weights(tmp)
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return report


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    output = os.path.expanduser(_OUTPUT.value)
    report = convert(os.path.expanduser(_CHECKPOINT.value), output)
    print(f"backbone: {report['backbone']}; logits: {report['head']}")
    print(f"wrote {output}")


if __name__ == "__main__":
    app.run(main, argv=_bootstrap.argv())
