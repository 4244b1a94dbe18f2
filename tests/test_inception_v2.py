"""Inception-v2 as TF-slim builds it, and the slim-checkpoint loader's bookkeeping.

Parity with slim's own network (logits to 1e-4, the converter script) is tests/test_slim_parity.py.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from resizer.flops import count_flops
from resizer.models import build, load_pretrained
from resizer.models.inception_v2_slim import LOGITS, backbone_variables


@pytest.fixture(scope="module")
def classifier():
    return build("classification", "inception_v2", "bilinear", 224, 224)


def test_layout_follows_slim(classifier):
    backbone = classifier.get_layer("backbone")
    stem = backbone.get_layer("Conv2d_1a_7x7")
    assert isinstance(stem, keras.layers.SeparableConv2D)
    assert tuple(stem.depthwise_kernel.shape) == (7, 7, 3, 8) and tuple(stem.pointwise_kernel.shape) == (1, 1, 24, 64)
    convs = [l for l in backbone.layers if isinstance(l, keras.layers.Conv2D)]
    assert len(convs) == 68 and not any(l.use_bias for l in convs)  # 2 + 66 in the Mixed blocks
    # slim's arg scope puts batch norm on conv2d only: the separable stem has biases and a ReLU.
    assert stem.use_bias and backbone.get_layer("Conv2d_1a_7x7_Relu").input is stem.output
    bns = [l for l in backbone.layers if isinstance(l, keras.layers.BatchNormalization)]
    assert len(bns) == 68 and all(not l.scale and l.momentum == 0.9997 and l.epsilon == 0.001 for l in bns)
    pools = {l.name: type(l).__name__ for l in backbone.layers if "Branch_3" in l.name and "Pool" in l.name}
    assert pools.pop("Mixed_5c_Branch_3_MaxPool_0a_3x3") == "MaxPooling2D"
    assert len(pools) == 7 and set(pools.values()) == {"AveragePooling2D"}
    assert backbone.get_layer("Mixed_5c_concat").output.shape[-1] == 1024
    assert classifier.get_layer("head_dropout").rate == pytest.approx(0.2)  # slim keep_prob 0.8


def test_parameters_and_flops_match_the_targets(classifier):
    trainable = sum(int(np.prod(w.shape)) for w in classifier.trainable_weights)
    assert trainable == 11178336
    assert round(count_flops(classifier) / 1e9, 2) in (3.87, 3.88)  # 3.8697 measured; paper 3.88


def write_slim_checkpoint(prefix, seed=0):
    """A checkpoint with slim's variable names, saved from a tf.Module as slim's Saver would."""
    rng = np.random.default_rng(seed)
    shapes = {name: tuple(v.shape) for name, v in backbone_variables(
        build("classification", "inception_v2", "bilinear", 224, 224).get_layer("backbone")).items()}
    shapes[f"{LOGITS}/weights"] = (1, 1, 1024, 1001)
    shapes[f"{LOGITS}/biases"] = (1001,)
    module = tf.Module()
    module.variables_by_name = {}
    for name, shape in shapes.items():
        value = rng.uniform(0.5, 1.5, shape) if name.endswith("moving_variance") else rng.normal(0, 0.1, shape)
        module.variables_by_name[name] = tf.Variable(value.astype("float32"))
    module.variables_by_name["global_step"] = tf.Variable(np.int64(12345))
    tf.compat.v1.train.Saver(var_list=module.variables_by_name).save(None, prefix)
    return {name: v.numpy() for name, v in module.variables_by_name.items()}


@pytest.fixture(scope="module")
def slim_checkpoint(tmp_path_factory):
    prefix = str(tmp_path_factory.mktemp("slim") / "inception_v2.ckpt")
    return prefix, write_slim_checkpoint(prefix)


def test_slim_checkpoint_loads_every_variable_and_drops_background(slim_checkpoint):
    prefix, values = slim_checkpoint
    model = build("classification", "inception_v2", "bilinear", 224, 224)
    report = load_pretrained(model, prefix)
    assert report["head"] == "loaded (background class dropped)"
    mapping = backbone_variables(model.get_layer("backbone"))
    assert len(mapping) == 68 * 4 + 3  # BN'd convs: weights, beta, mean, variance; the stem: 2 kernels + biases
    for name, variable in mapping.items():
        np.testing.assert_array_equal(variable.numpy(), values[name], err_msg=name)
    np.testing.assert_array_equal(model.get_layer("logits").kernel.numpy(), values[f"{LOGITS}/weights"][0, 0, :, 1:])
    np.testing.assert_array_equal(model.get_layer("logits").bias.numpy(), values[f"{LOGITS}/biases"][1:])

    # The stem computes slim's separable conv + biases -> ReLU on [-1, 1] images.
    x = np.random.default_rng(1).random((1, 224, 224, 3)).astype("float32")
    backbone = model.get_layer("backbone")
    stem = keras.Model(backbone.input, backbone.get_layer("Conv2d_1a_7x7_Relu").output)
    s = "InceptionV2/Conv2d_1a_7x7"
    y = tf.nn.separable_conv2d(2 * x - 1, values[f"{s}/depthwise_weights"], values[f"{s}/pointwise_weights"],
                               [1, 2, 2, 1], "SAME")
    expected = tf.nn.relu(y + values[f"{s}/biases"]).numpy()
    np.testing.assert_allclose(stem(model.get_layer("normalization")(x)).numpy(), expected, atol=1e-4)


def test_iqa_model_takes_the_backbone_only(slim_checkpoint):
    prefix, values = slim_checkpoint
    model = build("iqa", "inception_v2", "learned", 64, 48)
    report = load_pretrained(model, prefix)
    assert report["head"].startswith("not loaded")
    np.testing.assert_array_equal(model.get_layer("backbone").get_layer("Mixed_4c_Branch_2_Conv2d_0c_3x3").kernel,
                                  values["InceptionV2/Mixed_4c/Branch_2/Conv2d_0c_3x3/weights"])


def test_not_a_slim_checkpoint_is_refused(tmp_path):
    module = tf.Module()
    module.v = {"InceptionV2/Conv2d_1a_7x7/depthwise_weights": tf.Variable(tf.zeros((7, 7, 3, 8)))}
    prefix = tf.compat.v1.train.Saver(var_list=module.v).save(None, str(tmp_path / "partial.ckpt"))
    with pytest.raises(ValueError, match="not a TF-slim Inception-v2 checkpoint"):
        load_pretrained(build("classification", "inception_v2", "bilinear", 64, 64), prefix)
    with pytest.raises(ValueError, match="backbone is tiny_cnn"):
        load_pretrained(build("classification", "tiny_cnn", "bilinear", 64, 64), prefix)
