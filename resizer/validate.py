"""Released ImageNet weights and the accuracy their publishers state: the validate command.

In the spirit of timm's validate.py: before days of training, evaluate weights someone else
trained on *your* ImageNet copy with *their* preprocessing, and compare with the numbers
they published. Each entry is one flag file, configs/validate/<name>.flags (hand-written;
tests/test_validate.py checks that it says what the entry says):

    python scripts/eval.py --flagfile=configs/validate/keras_resnet50v2.flags \
        --backbone_weights=/path/resnet50v2_weights_tf_dim_ordering_tf_kernels.h5

scripts/eval.py then prints measured vs published top-1/top-5 and records both, with the
preprocessing, under "validation" in results.json. docs/validate.md says what a mismatch
means.
"""

from __future__ import annotations

import dataclasses

from resizer.models.weights import SLIM_INCEPTION_V2_URL

FLAGS_DIR = "configs/validate"
EXPERIMENT_PREFIX = "validate/"
KERAS_APPLICATIONS_URL = "https://keras.io/api/applications/"
SLIM_README_URL = "https://github.com/tensorflow/models/tree/master/research/slim#pre-trained-models"
# Published numbers are rounded to 0.1 point; timm treats ~0.1-0.3 points as pipeline noise.
TOLERANCE_PCT = 0.5


@dataclasses.dataclass(frozen=True)
class Released:
    """One set of released weights.

    backbone: our backbone name (resizer.models.BACKBONES); weights: where the file comes
    from; output: the input side; eval_preprocessing: resizer.data.crops option;
    interpolation: the resize of the "ours" option (unused by "slim", which resizes with TF1
    bilinear itself); top1/top5: published accuracy in percent; source: where it is
    published."""

    name: str
    backbone: str
    weights: str
    output: int
    eval_preprocessing: str
    interpolation: str
    top1: float
    top5: float
    source: str
    note: str = ""

    @property
    def experiment(self):
        return EXPERIMENT_PREFIX + self.name

    @property
    def flag_file(self):
        return f"{FLAGS_DIR}/{self.name}.flags"

    def flags(self):
        """{flag: value string} the flag file must set (after its --flagfile include)."""
        return {"experiment": self.experiment, "backbone": self.backbone, "resizer": "bilinear",
                "output": str(self.output), "interpolation": self.interpolation,
                "eval_preprocessing": self.eval_preprocessing, "backbone_weights": "imagenet",
                "train_epochs": "0", "eval_batch_size": "100"}

    def preprocessing(self):
        """The preprocessing as results.json records it."""
        if self.eval_preprocessing == "slim":
            crop = "slim preprocess_for_eval: central_crop 0.875 of each side, resize_bilinear(align_corners=False)"
        else:
            crop = f"central square of 0.875 of the shorter side, tf.image.resize {self.interpolation}"
        return {"input_size": self.output, "eval_preprocessing": self.eval_preprocessing, "crop_and_resize": crop,
                "normalisation": "the backbone's own (resizer.models.BACKBONES), inside the model"}


_KERAS = "keras.applications ImageNet weights (the with-top .h5 in ~/.keras/models, or its path)"
RELEASED = {r.name: r for r in (
    Released("slim_inception_v2", "inception_v2", f"TF-slim checkpoint {SLIM_INCEPTION_V2_URL}, its "
             "inception_v2.ckpt prefix or the .keras of scripts/convert_inception_v2.py", 224, "slim", "bilinear",
             73.9, 91.8, SLIM_README_URL,
             note="slim's eval_image_classifier.py with inception preprocessing; 1001 classes, background dropped"),
    Released("keras_resnet50v2", "resnet50", _KERAS, 224, "ours", "bilinear", 76.0, 93.0, KERAS_APPLICATIONS_URL),
    Released("keras_densenet121", "densenet121", _KERAS, 224, "ours", "bilinear", 75.0, 92.3, KERAS_APPLICATIONS_URL),
    Released("keras_mobilenet_v2", "mobilenet_v2", _KERAS, 224, "ours", "bilinear", 71.3, 90.1,
             KERAS_APPLICATIONS_URL),
    Released("keras_efficientnet_b0", "efficientnet_b0", _KERAS, 224, "ours", "bicubic", 77.1, 93.3,
             KERAS_APPLICATIONS_URL,
             note="bicubic, as the TF EfficientNet evaluation the weights were converted from (crop 224/256)"),
)}


def for_experiment(experiment):
    """The Released entry of a validate/<name> experiment, or None."""
    if not experiment.startswith(EXPERIMENT_PREFIX):
        return None
    name = experiment[len(EXPERIMENT_PREFIX):]
    if name not in RELEASED:
        raise ValueError(f"--experiment={experiment}: no released weights {name!r} in resizer/validate.py; "
                         f"known: {', '.join(RELEASED)}.")
    return RELEASED[name]


def comparison(entry, results):
    """The "validation" object of results.json: published vs measured accuracy (percent)."""
    metrics = results["metrics"]
    measured = {"top1": round(100.0 - metrics["top1_error_pct"], 3), "top5": round(100.0 - metrics["top5_error_pct"], 3)}
    expected = {"top1": entry.top1, "top5": entry.top5}
    delta = {k: round(measured[k] - expected[k], 3) for k in expected}
    comparable = results["full_split"] and results["dataset"] == "imagenet2012" and results["split"] == "validation"
    if not comparable:
        verdict = "not comparable: not the whole ImageNet validation split (smoke run or --eval_examples)"
    elif all(abs(d) <= TOLERANCE_PCT for d in delta.values()):
        verdict = "match"
    else:
        verdict = "MISMATCH: see docs/validate.md"
    return {"name": entry.name, "weights": entry.weights, "source": entry.source, "expected_pct": expected,
            "measured_pct": measured, "delta_pct": delta, "tolerance_pct": TOLERANCE_PCT, "verdict": verdict,
            "preprocessing": entry.preprocessing(), "note": entry.note}


def format_comparison(validation):
    lines = [f"{validation['name']}: {validation['verdict']}"]
    for k in ("top1", "top5"):
        lines.append(f"  {k}: measured {validation['measured_pct'][k]:.2f}%  published "
                     f"{validation['expected_pct'][k]:.1f}%  delta {validation['delta_pct'][k]:+.2f}")
    lines.append(f"  published at {validation['source']}")
    return "\n".join(lines)
