"""Pretrained weights for a `ResizerModel` (the paper starts every baseline from them).

`load_pretrained(model, source, parts=...)` copies the backbone (and, where it fits, the
head and the learned resizer) from:
  - "imagenet": keras.applications' ImageNet file from the Keras cache
    ($KERAS_HOME/models, default ~/.keras/models), or for Inception-v2 the TF-slim
    checkpoint `inception_v2.ckpt` placed there. Nothing is downloaded: a missing file is
    a FileNotFoundError that names the file, its URL and where to put it.
  - a `.keras` file (a ResizerModel, or a bare keras.applications model),
  - a `.weights.h5` file written by `ResizerModel.save_weights` (its resizer, filters and
    class count are read from the file; the backbone must be the model's),
  - a legacy `.h5` file of keras.applications (what the Keras cache holds),
  - a TF checkpoint prefix (or a directory with one): TF-slim Inception-v2, or an
    object-based checkpoint of the same model (`tf.train.Checkpoint(model=model)`).
Layers are matched by name; a backbone layer that is missing or has another shape is an
error, the head and the resizer are copied only where their shapes fit (the report says).
"""

from __future__ import annotations

import os

import keras
import tensorflow as tf

from resizer import tasks as tasks_lib
from resizer import resizers as resizers_lib
from resizer.models.backbones import BACKBONES
from resizer.models.backbones.efficientnet_b0 import set_efficientnet_normalization

PARTS = ("backbone", "head", "resizer")
DEFAULT_PARTS = PARTS
SLIM_INCEPTION_V2_URL = "http://download.tensorflow.org/models/inception_v2_2016_08_28.tar.gz"
SLIM_INCEPTION_V2_FILE = "inception_v2.ckpt"


def keras_cache_dirs():
    """Where keras.utils.get_file keeps downloaded models, in the order Keras tries them."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return [os.path.join(home, "models"), os.path.join("/tmp", ".keras", "models")]


def _find_cached(filename, exists=os.path.isfile):
    for folder in keras_cache_dirs():
        path = os.path.join(folder, filename)
        if exists(path):
            return path
    return None


def load_pretrained(model, source, parts=DEFAULT_PARTS):
    """Loads pretrained weights into `model` (a ResizerModel); returns a report dict.

    parts: which of "backbone", "head", "resizer" to take from the source. A transferred
    resizer (Tables 6 and 7) is parts=("resizer",).
    """
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        raise ValueError(f"parts must be a non-empty subset of {PARTS}, got {parts!r}.")
    if source == "imagenet":
        return _load_imagenet(model, parts)
    path = os.fspath(source)
    if path.endswith(".keras"):
        _require_file(path)
        return copy_weights(keras.saving.load_model(path, compile=False), model, parts)
    if path.endswith(".weights.h5"):
        _require_file(path)
        return copy_weights(_twin_from_weights_file(model, path), model, parts)
    if path.endswith((".h5", ".hdf5")):
        _require_file(path)
        return copy_weights(_keras_application_from_file(model, path), model, parts)
    return _load_tf_checkpoint(model, path, parts)


def _require_file(path):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Pretrained weights file {path!r} does not exist.")


def _spec(model):
    try:
        return BACKBONES[model.get_config()["backbone"]]
    except (AttributeError, KeyError, TypeError):
        raise ValueError("load_pretrained expects a model from resizer.models.build.") from None


def _load_imagenet(model, parts):
    spec = _spec(model)
    if spec.name == "inception_v2":
        path = _find_cached(SLIM_INCEPTION_V2_FILE + ".index")
        if path is None:
            folder = keras_cache_dirs()[0]
            raise FileNotFoundError(
                f"ImageNet weights for inception_v2 are not on this machine, and they cannot be downloaded here. "
                f"Download {SLIM_INCEPTION_V2_URL} where there is internet, extract it and copy "
                f"{SLIM_INCEPTION_V2_FILE}.index and {SLIM_INCEPTION_V2_FILE}.data-* into {folder}/ "
                f"(or pass the checkpoint prefix as the init checkpoint).")
        return load_pretrained(model, path[: -len(".index")], parts)
    if spec.imagenet is None:
        raise ValueError(f"Backbone {spec.name} has no ImageNet weights; use weights=None or a file.")
    config = model.get_config()
    wants_top = "head" in parts and config["task"] == "classification" and config["num_classes"] == 1000
    files = [spec.imagenet.with_top] if wants_top else [spec.imagenet.no_top, spec.imagenet.with_top]
    for filename in files:
        path = _find_cached(filename)
        if path is not None:
            reference = spec.make_reference(filename == spec.imagenet.with_top, path)
            return copy_weights(reference, model, parts)
    folder = keras_cache_dirs()[0]
    raise FileNotFoundError(
        f"ImageNet weights for {spec.name} ({spec.implementation}) are not in the Keras cache, and they cannot be "
        f"downloaded on this machine. Download {spec.imagenet.url_base}{files[0]} where there is internet and "
        f"copy it to {os.path.join(folder, files[0])} (or pass the file as the init checkpoint).")


def _keras_application_from_file(model, path):
    spec = _spec(model)
    if spec.make_reference is None:
        raise ValueError(f"{path}: legacy .h5 files hold keras.applications weights; backbone {spec.name} is not "
                         f"a keras.applications model. Use a .keras, .weights.h5 or TF checkpoint instead.")
    errors = []
    for include_top in (True, False):
        try:
            return spec.make_reference(include_top, path)
        except ValueError as e:  # wrong layer count: the file is the other variant
            errors.append(str(e).splitlines()[0])
    raise ValueError(f"{path} does not hold {spec.implementation} weights (with or without top): {errors}")


def _twin_from_weights_file(model, path):
    """The ResizerModel that `path` (a .weights.h5) was saved from, as far as weights tell."""
    import h5py

    from resizer.models.builder import ResizerModel

    config = dict(model.get_config())
    with h5py.File(path, "r") as f:
        layers = f.get("layers")
        if layers is None or "functional" not in layers:
            raise ValueError(f"{path} is not a .weights.h5 file of a resizer.models model (no backbone group).")
        trained = [name for name, r in resizers_lib.REGISTRY.items() if r.learned and r.layer_name in layers]
        if trained:
            config["resizer"] = trained[0]
            resizer = layers[resizers_lib.get(trained[0]).layer_name]
            if resizers_lib.get(trained[0]).shaped:  # n and r: the learned resizer's shape
                config.update(filters=int(resizer["conv_in/vars/0"].shape[-1]),
                              num_res_blocks=sum(name.startswith("res_block_") for name in resizer))
        else:
            config["resizer"] = "bilinear"
        if "dense/vars/0" in layers:
            classes = int(layers["dense/vars/0"].shape[-1])
            if not (config["task"] == "iqa" and classes == 10):
                config.update(task="classification", num_classes=classes)
    config.pop("name", None)
    twin = ResizerModel(**config)
    try:
        twin.load_weights(path)
    except ValueError as e:
        raise ValueError(f"{path} does not fit a {config['backbone']} model: {str(e).splitlines()[0]}") from None
    return twin


def _checkpoint_in_directory(folder):
    """The newest checkpoint of a CheckpointManager directory, or its only prefix."""
    latest = tf.train.latest_checkpoint(folder)
    if latest is not None:
        return latest
    prefixes = sorted(name[: -len(".index")] for name in os.listdir(folder) if name.endswith(".index"))
    if len(prefixes) > 1:
        raise ValueError(f"{folder} holds several TF checkpoints ({', '.join(prefixes)}); give the prefix.")
    return os.path.join(folder, prefixes[0]) if prefixes else None


def _load_tf_checkpoint(model, path, parts):
    prefix = _checkpoint_in_directory(path) if os.path.isdir(path) else path
    if prefix is None or not tf.io.gfile.exists(prefix + ".index"):
        raise FileNotFoundError(
            f"Pretrained weights {path!r} not found: expected a .keras, .weights.h5 or .h5 file, or a TF "
            f"checkpoint prefix (PREFIX.index beside it) or a directory holding one.")
    from resizer.models import inception_v2_slim

    if inception_v2_slim.is_slim_checkpoint(prefix):
        if _spec(model).name != "inception_v2":
            raise ValueError(f"{prefix} is a TF-slim Inception-v2 checkpoint; the model's backbone is "
                             f"{_spec(model).name}.")
        report = inception_v2_slim.load_slim_checkpoint(model, prefix)
        folded = f" (stem {report['stem']})" if "stem" in report else ""
        return {"source": prefix, "backbone": f"{report['variables']} slim variables{folded}",
                "head": report["head"], "resizer": "not in a slim checkpoint"}
    from resizer.models.builder import build_from_config

    twin = build_from_config(model.get_config())
    # tf.train.Checkpoint does not see every Keras 3 variable (layers kept in Python lists
    # are invisible to it), so a checkpoint holding fewer values than the model is refused
    # rather than half-restored.
    stored = [n for n, _ in tf.train.list_variables(prefix)
              if n.startswith("model/") and n.endswith("/.ATTRIBUTES/VARIABLE_VALUE") and "OPTIMIZER_SLOT" not in n]
    if len(stored) != len(twin.weights):
        raise ValueError(f"{prefix} holds {len(stored)} values under 'model/', the model has {len(twin.weights)} "
                         f"variables: not a complete tf.train.Checkpoint(model=...) of this model. Save weights "
                         f"with model.save_weights('name.weights.h5') or model.save('name.keras') instead.")
    status = tf.train.Checkpoint(model=twin).read(prefix)
    try:
        status.assert_existing_objects_matched()
    except AssertionError as e:
        raise ValueError(f"{prefix} is not a checkpoint of this model (tf.train.Checkpoint(model=...)): "
                         f"{str(e).splitlines()[0]}") from None
    return copy_weights(twin, model, parts)


def _parts_of(model):
    """(backbone, head layer or None, learned resizer or None) of a ResizerModel or a bare backbone."""
    names = {layer.name for layer in model.layers}
    if "backbone" in names and hasattr(model, "head_name"):
        from resizer.models.builder import parts

        named = parts(model)
        return named["backbone"], named["head"], named["resizer"]
    if "backbone" in names:  # a .keras file of another functional model with our layer names
        head = next((model.get_layer(n) for n in _head_names() if n in names), None)
        resizer = next((model.get_layer(n) for n in resizers_lib.learned_layer_names() if n in names), None)
        return model.get_layer("backbone"), head, resizer
    return model, (model.get_layer("predictions") if "predictions" in names else None), None


def _head_names():
    return tuple(t.head_name for _, t in tasks_lib.REGISTRY.items())


def _same_shapes(a, b):
    return [tuple(w.shape) for w in a.weights] == [tuple(w.shape) for w in b.weights]


def copy_weights(source, target, parts=DEFAULT_PARTS):
    """Copies weights from `source` into the ResizerModel `target` by layer name (see module doc)."""
    src_backbone, src_head, src_resizer = _parts_of(source)
    dst_backbone, dst_head, dst_resizer = _parts_of(target)
    report = {"source": source.name}
    if "backbone" in parts:
        report["backbone"] = _copy_backbone(src_backbone, dst_backbone)
    for part, src, dst in (("head", src_head, dst_head), ("resizer", src_resizer, dst_resizer)):
        if part not in parts:
            continue
        if src is None or dst is None:
            report[part] = "not copied: absent in the " + ("source" if src is None else "target")
        elif not _same_shapes(src, dst):
            report[part] = "not copied: shapes differ"
        else:
            dst.set_weights(src.get_weights())
            report[part] = "copied"
    if parts == ("resizer",) and report["resizer"] != "copied":
        raise ValueError(f"Could not transfer the learned resizer from {source.name}: {report['resizer']}.")
    return report


def _copy_backbone(source, target):
    problems, copied = [], 0
    for layer in target.layers:
        # EfficientNet's Normalization holds fixed ImageNet statistics, set at build time.
        if not layer.weights or isinstance(layer, keras.layers.Normalization):
            continue
        try:
            src = source.get_layer(layer.name)
        except ValueError:
            problems.append(f"{layer.name}: missing in the source")
            continue
        if not _same_shapes(src, layer):
            problems.append(f"{layer.name}: shapes {[tuple(w.shape) for w in src.weights]} != "
                            f"{[tuple(w.shape) for w in layer.weights]}")
            continue
        layer.set_weights(src.get_weights())
        copied += 1
    if problems:
        raise ValueError(f"The source weights do not fit the backbone ({len(problems)} layers): "
                         + "; ".join(problems[:5]))
    if any(isinstance(layer, keras.layers.Normalization) for layer in target.layers):
        set_efficientnet_normalization(target)
    return f"{copied} layers copied"
