"""The validate command: configs/validate/ agrees with resizer/validate.py, and scripts/eval.py
records published vs measured accuracy and the preprocessing in results.json (tiny generated
ImageNet through the real TFDS builder, random weights in the released file formats)."""

import json
import os
import subprocess
import sys

import h5py
import keras
import pytest

from resizer import config, flagfile, validate
from resizer.data import crops, testing
from resizer.models import BACKBONES, build

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parsed_config(flag_file):
    """The Config scripts/eval.py builds from a flag file (absl parses it, includes and all)."""
    from absl import flags

    fv = flags.FlagValues()
    config.define_flags(fv)
    fv(["eval.py", f"--flagfile={flag_file}"])
    return config.from_flags(fv, backbones=BACKBONES)


def test_flag_files_and_the_module_agree(monkeypatch):
    monkeypatch.chdir(ROOT)  # flag files include configs/imagenet.flags relative to the repository root
    on_disk = sorted(n[: -len(".flags")] for n in os.listdir(validate.FLAGS_DIR))
    assert on_disk == sorted(validate.RELEASED)
    assert {r.backbone for r in validate.RELEASED.values()} == {"inception_v2", "resnet50", "densenet121",
                                                                "mobilenet_v2", "efficientnet_b0"}
    for entry in validate.RELEASED.values():
        values = flagfile.read(entry.flag_file)
        assert {k: values[k] for k in entry.flags()} == entry.flags(), entry.name
        cfg = parsed_config(entry.flag_file)
        assert (cfg.dataset, cfg.eval_split, cfg.num_classes) == ("imagenet2012", "validation", 1000)
        assert (cfg.backbone, cfg.output, cfg.eval_preprocessing) == (entry.backbone, entry.output,
                                                                      entry.eval_preprocessing)
        assert cfg.evaluation_only and cfg.eval_preprocessing in crops.PREPROCESSING_NAMES
        with open(entry.flag_file) as f:
            assert f"top-1 {entry.top1}%, top-5 {entry.top5}% ({entry.source})" in f.read()
        assert validate.for_experiment(entry.experiment) is entry
    assert validate.for_experiment("table4/resnet50/bilinear_224") is None
    with pytest.raises(ValueError, match="no released weights 'vgg16'"):
        validate.for_experiment("validate/vgg16")


def test_published_numbers_are_those_of_their_pages():
    published = {name: (r.top1, r.top5) for name, r in validate.RELEASED.items()}
    assert published == {"slim_inception_v2": (73.9, 91.8), "keras_resnet50v2": (76.0, 93.0),
                         "keras_densenet121": (75.0, 92.3), "keras_mobilenet_v2": (71.3, 90.1),
                         "keras_efficientnet_b0": (77.1, 93.3)}
    assert validate.RELEASED["slim_inception_v2"].eval_preprocessing == "slim"
    assert validate.RELEASED["keras_efficientnet_b0"].interpolation == "bicubic"


def test_comparison_verdicts():
    entry = validate.RELEASED["keras_resnet50v2"]
    full = {"metrics": {"top1_error_pct": 24.2, "top5_error_pct": 7.1}, "full_split": True,
            "dataset": "imagenet2012", "split": "validation"}
    result = validate.comparison(entry, full)
    assert result["measured_pct"] == {"top1": 75.8, "top5": 92.9} and result["verdict"] == "match"
    assert result["delta_pct"] == {"top1": -0.2, "top5": -0.1}
    assert validate.comparison(entry, dict(full, metrics={"top1_error_pct": 30.0, "top5_error_pct": 7.0}))[
        "verdict"].startswith("MISMATCH")
    assert validate.comparison(entry, dict(full, full_split=False))["verdict"].startswith("not comparable")


@pytest.fixture(scope="module")
def tiny_imagenet(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("imagenet"))
    testing.prepared_imagenet(data_dir, num_classes=3, per_class=1, num_val=6)
    return data_dir


def run_eval(name, weights, data_dir, runs_dir):
    proc = subprocess.run([sys.executable, "scripts/eval.py", f"--flagfile=configs/validate/{name}.flags",
                           f"--backbone_weights={weights}", f"--data_dir={data_dir}", f"--runs_dir={runs_dir}",
                           "--eval_batch_size=4", "--strategy=one_device"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(os.path.join(runs_dir, "validate", name, "results.json")) as f:
        return proc.stdout, json.load(f)


@pytest.mark.slow
def test_keras_weights_file_validates_end_to_end(tiny_imagenet, tmp_path):
    """A keras.applications with-top .h5 (random weights) on the 6 generated validation images."""
    from keras.src.legacy.saving import legacy_h5_format

    weights = tmp_path / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5"
    with h5py.File(weights, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(
            f, keras.applications.MobileNetV2(include_top=True, weights=None, input_shape=(224, 224, 3)))
    stdout, results = run_eval("keras_mobilenet_v2", weights, tiny_imagenet, tmp_path / "runs")
    validation = results["validation"]
    assert validation["expected_pct"] == {"top1": 71.3, "top5": 90.1}
    assert validation["measured_pct"]["top1"] == pytest.approx(100 - results["metrics"]["top1_error_pct"], abs=1e-3)
    assert validation["preprocessing"]["eval_preprocessing"] == "ours"
    assert results["settings"]["eval_crop"] == "central_crop_0.875" and results["split_size"] == 6
    assert results["full_split"] and not validation["verdict"].startswith("not comparable")  # the whole (tiny) split
    assert "keras_mobilenet_v2: " in stdout and "published 71.3%" in stdout


@pytest.mark.slow
def test_slim_entry_records_slims_preprocessing(tiny_imagenet, tmp_path):
    """Inception-v2 from a .weights.h5 of our model, evaluated with --eval_preprocessing=slim."""
    weights = tmp_path / "inception_v2.weights.h5"
    build("classification", "inception_v2", "bilinear", 224, 224).save_weights(str(weights))
    stdout, results = run_eval("slim_inception_v2", weights, tiny_imagenet, tmp_path / "runs")
    assert results["settings"]["eval_crop"] == crops.preprocessing(False, "slim").record
    assert results["validation"]["preprocessing"]["eval_preprocessing"] == "slim"
    assert results["validation"]["expected_pct"] == {"top1": 73.9, "top5": 91.8}
    assert "published 73.9%" in stdout
