"""Our Inception-v2 against TF-slim's own network (tf_slim.nets.inception_v2, TF1 graph).

Slim builds its network under its own arg scope, every variable (moving statistics
included) gets random values, the checkpoint is saved with a TF1 Saver and converted with
the documented command (scripts/convert_inception_v2.py); our model loaded from the
converted file must give slim's logits (background class 0 dropped) on real photos and
random images. The one deliberate difference, global average pooling where slim pools a
fixed 7x7 window, is checked at 256 px: ours equals the mean of slim's Mixed_5c, slim's
logits map is 2x2 there.
"""

import importlib
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

tf_slim = pytest.importorskip("tf_slim", reason="tf-slim (test-only requirement) is not installed")
skimage_data = pytest.importorskip("skimage.data")

from resizer.models import build, load_pretrained  # noqa: E402
from resizer.models.inception_v2_slim import LOGITS, SCOPE, STEM, backbone_variables  # noqa: E402


def _alias_tf_keras_legacy_layers():
    """TF 2.21's tensorflow.python.layers.normalization (slim's batch_norm) lazily imports
    tf_keras.legacy_tf_layers.normalization, which tf-keras 2.21 ships as
    tf_keras.src.legacy_tf_layers.normalization: point the old name at the module."""
    for name in ("legacy_tf_layers", "legacy_tf_layers.normalization"):
        sys.modules.setdefault(f"tf_keras.{name}", importlib.import_module(f"tf_keras.src.{name}"))


_alias_tf_keras_legacy_layers()
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTOS = ("astronaut", "chelsea", "coffee")
LOGITS_TOLERANCE = 1e-4

# Slim's graph, its checkpoint and the converter subprocess: ~75 s on 2 shared CPU cores.
pytestmark = pytest.mark.slow


def photos_and_noise(size, seed=0):
    """float32 (4, size, size, 3) in [0, 1]: three scikit-image photographs and uniform noise."""
    images = [tf.image.resize(getattr(skimage_data, name)(), (size, size)).numpy() / 255.0 for name in PHOTOS]
    images.append(np.random.default_rng(seed).random((size, size, 3)))
    return np.clip(np.stack(images), 0.0, 1.0).astype("float32")


def random_value(name, shape, rng):
    """He-scaled kernels, small betas/biases/means, gammas and variances near 1, so that the
    activations stay O(1) through the 70 layers and every statistic matters."""
    leaf = name.rsplit("/", 1)[-1].split(":")[0]
    if leaf == "moving_variance":
        return rng.uniform(0.5, 2.0, shape)
    if leaf in ("beta", "moving_mean", "biases"):
        return rng.normal(0.0, 0.2, shape)
    if leaf == "gamma":
        return rng.uniform(0.5, 1.5, shape)
    fan_in = int(np.prod(shape[:-1])) if leaf != "depthwise_weights" else int(np.prod(shape[:2]))
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)


def run_slim(prefix, sizes, stem_batch_norm=False):
    """Builds slim's network in a TF1 graph, gives every variable a random value, saves the
    checkpoint at `prefix` and runs the network on our images: {"values", "images", "outputs"}.
    stem_batch_norm: also normalise separable_conv2d (with gamma), as object detection's
    feature extractors build Inception-v2."""
    from tf_slim.nets import inception_v2 as slim_net

    images = {s: photos_and_noise(s, seed=s) for s in sizes}
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        inputs = {s: tf.compat.v1.placeholder(tf.float32, (None, s, s, 3)) for s in images}
        outputs = {}
        bn_params = {"decay": 0.9997, "epsilon": 0.001, "scale": True}
        stem_scope = dict(normalizer_fn=tf_slim.batch_norm, normalizer_params=bn_params) if stem_batch_norm else {}
        with tf_slim.arg_scope(slim_net.inception_v2_arg_scope()), \
                tf_slim.arg_scope([tf_slim.separable_conv2d], **stem_scope):
            for i, (size, x) in enumerate(inputs.items()):
                # slim's inception preprocessing maps [0, 1] images to [-1, 1].
                logits, points = slim_net.inception_v2(2.0 * x - 1.0, num_classes=1001, is_training=False,
                                                       spatial_squeeze=size == 224, reuse=i > 0)
                outputs[size] = {"logits": logits, "mixed_5c": points["Mixed_5c"]}
        rng = np.random.default_rng(0)
        values = {}
        for variable in tf.compat.v1.global_variables():
            name = variable.op.name
            values[name] = random_value(name, variable.shape.as_list(), rng).astype("float32")
            variable.load(values[name], sess)
        tf.compat.v1.train.Saver().save(sess, prefix, write_meta_graph=False)
        results = {size: sess.run(outputs[size], {inputs[size]: images[size]}) for size in images}
    return {"prefix": prefix, "values": values, "images": images, "outputs": results}


@pytest.fixture(scope="module")
def slim(tmp_path_factory):
    """Slim's checkpoint (prefix), its variables {name: value} and its outputs on our images."""
    return run_slim(str(tmp_path_factory.mktemp("slim") / "inception_v2.ckpt"), (224, 256))


@pytest.fixture(scope="module")
def converted(slim, tmp_path_factory):
    """The documented conversion, run as a script; returns (its stdout, our model loaded from it, the file)."""
    output = tmp_path_factory.mktemp("converted") / "inception_v2.keras"
    run = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "convert_inception_v2.py"),
                          f"--checkpoint={slim['prefix']}", f"--output={output}"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    model = build("classification", "inception_v2", "bilinear", 224, 224)
    assert load_pretrained(model, str(output))["head"] == "copied"
    return run.stdout, model, output


def test_slim_writes_exactly_the_variables_we_map(slim):
    """Every variable of slim's network is loaded (and nothing of ours is left unloaded)."""
    names = set(slim["values"])
    ours = set(backbone_variables(build("classification", "inception_v2", "bilinear", 64, 64).get_layer("backbone")))
    assert names == ours | {f"{LOGITS}/weights", f"{LOGITS}/biases"}
    stem = {n for n in names if n.startswith(f"{SCOPE}/{STEM}/")}
    assert stem == {f"{SCOPE}/{STEM}/{leaf}" for leaf in ("depthwise_weights", "pointwise_weights", "biases")}
    assert len([n for n in names if n.endswith("moving_variance")]) == 68


def test_converted_model_gives_slims_logits(slim, converted):
    stdout, model, _ = converted
    assert "background class dropped" in stdout
    expected = slim["outputs"][224]["logits"][:, 1:]
    assert 1.0 < np.abs(expected).max() < 1e3  # the comparison is not of vanishing or exploding numbers
    got = model(slim["images"][224], training=False).numpy()
    assert got.shape == (4, 1000)
    print(f"max |ours - slim| = {np.abs(got - expected).max():.2e}, max |logit| = {np.abs(expected).max():.1f}")
    np.testing.assert_allclose(got, expected, rtol=0, atol=LOGITS_TOLERANCE)
    assert (got.argmax(-1) == expected.argmax(-1)).all()


def test_slim_checkpoint_loads_directly_with_the_same_logits(slim, converted):
    _, converted_model, _ = converted
    model = build("classification", "inception_v2", "bilinear", 224, 224)
    assert load_pretrained(model, slim["prefix"])["head"] == "loaded (background class dropped)"
    x = slim["images"][224]
    np.testing.assert_array_equal(model(x, training=False).numpy(), converted_model(x, training=False).numpy())


def test_global_pool_is_the_one_documented_difference(slim):
    """At 224 slim's 7x7 VALID pool (stride 2) is global (tested above). At 256 Mixed_5c is
    8x8 and slim averages its top-left 7x7 window only; ours pools the whole map."""
    model = build("classification", "inception_v2", "bilinear", 256, 256)
    load_pretrained(model, slim["prefix"])
    out, values = slim["outputs"][256], slim["values"]
    assert out["mixed_5c"].shape[1:3] == (8, 8) and out["logits"].shape[1:3] == (1, 1)
    kernel, bias = values[f"{LOGITS}/weights"][0, 0], values[f"{LOGITS}/biases"]
    window = out["mixed_5c"][:, :7, :7].mean(axis=(1, 2)).astype("float64")
    np.testing.assert_allclose(out["logits"][:, 0, 0], window @ kernel + bias, rtol=0, atol=LOGITS_TOLERANCE)
    features = model.get_layer("backbone")(model.get_layer("normalization")(slim["images"][256]), training=False)
    np.testing.assert_allclose(features.numpy(), out["mixed_5c"].mean(axis=(1, 2)), rtol=0, atol=1e-5)
    ours = model(slim["images"][256], training=False).numpy()
    np.testing.assert_allclose(ours, out["mixed_5c"].mean(axis=(1, 2)) @ kernel[:, 1:] + bias[1:], rtol=0,
                               atol=LOGITS_TOLERANCE)
    assert np.abs(ours - out["logits"][:, 0, 0, 1:]).max() > 100 * LOGITS_TOLERANCE


def test_converted_file_initialises_any_inception_v2(slim, converted):
    """The converted .keras starts a learned-resizer model at another size (backbone + logits)."""
    target = build("classification", "inception_v2", "learned", 256, 224)
    assert load_pretrained(target, str(converted[2]))["head"] == "copied"
    np.testing.assert_array_equal(target.get_layer("backbone").get_layer(STEM).bias.numpy(),
                                  slim["values"][f"{SCOPE}/{STEM}/biases"])
    np.testing.assert_array_equal(target.get_layer("logits").bias.numpy(), slim["values"][f"{LOGITS}/biases"][1:])


def test_a_stem_with_batch_norm_is_folded_exactly(tmp_path):
    """The other layout a checkpoint may hold (stem BatchNorm with gamma, no biases) loads
    by folding the inference-mode batch norm; slim's logits to 1e-4."""
    reference = run_slim(str(tmp_path / "bn_stem.ckpt"), (224,), stem_batch_norm=True)
    assert f"{SCOPE}/{STEM}/BatchNorm/gamma" in reference["values"]
    assert f"{SCOPE}/{STEM}/biases" not in reference["values"]
    model = build("classification", "inception_v2", "bilinear", 224, 224)
    report = load_pretrained(model, reference["prefix"])
    assert "batch norm folded" in report["backbone"]
    got = model(reference["images"][224], training=False).numpy()
    np.testing.assert_allclose(got, reference["outputs"][224]["logits"][:, 1:], rtol=0, atol=LOGITS_TOLERANCE)
