"""The registries: each name defined once, found without editing a list, and open to a user's own
backbone (keras.applications by name, a Keras model in Python, a module on the command line)."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from resizer import interpolation, registry, resizers, tasks
from resizer.data import distortions
from resizer.data import registry as data_registry
from resizer.models import backbones, build, build_from_config, parts

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_registry_get_register_and_did_you_mean():
    reg = registry.Registry("widget")
    reg.register("alpha", 1)

    @reg.register("beta")
    def beta():
        return 2

    assert reg.names() == ("alpha", "beta") and reg["beta"] is beta and "alpha" in reg and len(reg) == 2
    with pytest.raises(ValueError, match="^Unknown widget 'alpah'; expected one of alpha, beta. Did you mean alpha"):
        reg.get("alpah")
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("alpha", 3)


def test_each_registry_finds_the_modules_of_its_package():
    # One module a backbone / dataset: the listing is the package's files, not a hand-kept list.
    backbone_files = {f[:-3] for f in os.listdir(os.path.join(ROOT, "resizer/models/backbones"))
                      if f.endswith(".py") and not f.startswith("_")}
    # keras:<Name> and user:<name> entries join when first asked for (other tests may have).
    assert {n for n in backbones.names() if ":" not in n} == backbone_files
    dataset_entries = {f[:-3] if f.endswith(".py") else f for f in os.listdir(os.path.join(ROOT, "resizer/datasets"))
                       if not f.startswith(("_", "."))}
    assert set(data_registry.names()) == dataset_entries
    assert data_registry.info("ava").task == "iqa" and data_registry.info("cifar10").num_classes == 10
    assert backbones.paper_backbones() == tuple(sorted(
        ("inception_v2", "densenet121", "resnet50", "mobilenet_v2", "efficientnet_b0")))
    assert {"classification", "iqa"} <= set(tasks.names())
    assert set(resizers.learned_layer_names()) == {"learned_resizer", "muller_resizer"}
    assert distortions.input_size("downscale4x", 224) == 56 and distortions.downscale("jpeg") == 1


def test_one_interpolation_list_for_pipeline_resizer_and_layer():
    from resizer import layers

    assert "area" in interpolation.METHODS and "area" not in interpolation.DIFFERENTIABLE
    assert layers.INTERPOLATIONS == interpolation.DIFFERENTIABLE
    with pytest.raises(ValueError, match="no gradient for area"):
        layers.check_interpolation("area")
    assert interpolation.check("area") == "area"


def test_inception_v3_is_one_file_and_builds_with_the_resizer():
    # The worked example of adding a backbone: resizer/models/backbones/inception_v3.py alone.
    spec = backbones.get("inception_v3")
    assert spec.implementation == "keras.applications.InceptionV3" and not spec.in_paper
    model = build("classification", "inception_v3", resizer="learned", input_size=96, output_size=75, num_classes=5)
    assert model.output_shape == (None, 5) and parts(model)["resizer"].name == "learned_resizer"


def test_any_keras_application_by_name_with_its_own_preprocessing():
    model = build("classification", "keras:EfficientNetV2B0", resizer="bilinear", input_size=64, output_size=64,
                  num_classes=3)
    norm = model.get_layer("normalization")
    assert norm.function == "keras.src.applications.efficientnet_v2.preprocess_input"
    # ResNet50 (v1) is "caffe" mode: RGB -> BGR and the ImageNet mean in 0-255 units, not a per-channel
    # affine map of RGB; the layer must equal Keras' own function.
    model = build("iqa", "keras:ResNet50", resizer="bicubic", input_size=32, output_size=32)
    image = np.random.default_rng(0).uniform(size=(2, 32, 32, 3)).astype("float32")
    ours = keras.ops.convert_to_numpy(model.get_layer("normalization")(image))
    theirs = keras.applications.resnet50.preprocess_input(image * 255.0)
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    again = build_from_config(model.get_config())
    assert again.get_layer("normalization").function == "keras.src.applications.resnet.preprocess_input"


@pytest.mark.slow
def test_flops_are_counted_for_backbones_the_paper_does_not_use():
    from resizer import flops

    small = flops.count_flops(build("classification", "keras:MobileNetV3Small", resizer="bilinear", input_size=64,
                                    output_size=64, num_classes=10))
    learned = flops.count_flops(build("classification", "keras:MobileNetV3Small", resizer="learned", input_size=96,
                                      output_size=64, num_classes=10))
    from resizer.cost import resizer_gflops

    assert small > 0 and abs((learned - small) / 1e9 - resizer_gflops(96, 64)) < 1e-3


def test_a_users_keras_model_behind_the_resizer():
    own = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(8, 3, name="c")], name="mine")
    model = build("classification", own, resizer="learned", input_size=48, output_size=24, num_classes=3,
                  backbone_normalisation=((2.0, 2.0, 2.0), (-1.0, -1.0, -1.0)))
    assert model.get_config()["backbone"] == "user:mine" and model.output_shape == (None, 3)
    assert model.get_layer("normalization").scale == [2.0, 2.0, 2.0]
    fixed = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten()], name="fixed_size")
    with pytest.raises(ValueError, match=r"takes \(32, 32\) images, the resizer gives \(24, 24\)"):
        build("classification", fixed, resizer="bilinear", input_size=24, output_size=24, num_classes=3)


@pytest.mark.slow
def test_a_backbone_module_of_ones_own_trains_with_the_scripts(tmp_path):
    (tmp_path / "my_backbones.py").write_text(textwrap.dedent("""
        import keras
        from resizer.models.backbones import TO_MINUS_ONE_ONE, Backbone, register_backbone

        def make(input_shape):
            inputs = keras.Input(tuple(input_shape))
            x = keras.layers.Conv2D(8, 3, strides=2, name="c1")(inputs)
            x = keras.layers.GlobalAveragePooling2D()(x)
            return keras.Model(inputs, x, name="backbone")

        register_backbone(Backbone("my_cnn", "my_backbones.make", make, *TO_MINUS_ONE_ONE, normalisation="[-1, 1]"))
    """))
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    out = subprocess.run([sys.executable, "scripts/train.py", "--flagfile=configs/demo/learned_64.flags",
                          "--backbone_module=my_backbones", "--backbone=my_cnn", "--smoke",
                          f"--runs_dir={tmp_path / 'runs'}"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    model_json = tmp_path / "runs/smoke/demo/learned_64/model.json"
    assert '"backbone": "my_cnn"' in model_json.read_text()


def test_user_data_kinds_are_the_dataset_modules_that_take_a_name():
    from resizer.data import user_data

    named = {n for n in data_registry.names() if hasattr(data_registry.module(n), "named")}
    assert named == set(user_data.KINDS)


def test_each_task_reports_exactly_the_metrics_it_makes():
    # results.json names and ranges come from the task (resizer.tasks): a task is one file.
    for name, task in tasks.REGISTRY.items():
        assert {m.name for m in task.make_metrics()} == set(task.reported), name


def test_inception_v3_counts_are_keras_own_and_the_readmes():
    # README's Backbones table: 23,851,784 parameters with 1000 classes, as keras.applications
    # builds InceptionV3 with its top.
    ours = build("classification", "inception_v3", resizer="bilinear", input_size=224, output_size=224)
    theirs = keras.applications.InceptionV3(weights=None, input_shape=(224, 224, 3))
    assert ours.count_params() == theirs.count_params() == 23_851_784


@pytest.mark.slow
def test_inception_v3_gflops_are_the_readmes():
    from resizer import flops

    model = build("classification", "inception_v3", resizer="bilinear", input_size=224, output_size=224)
    assert round(flops.count_flops(model) / 1e9, 4) == 5.6758
