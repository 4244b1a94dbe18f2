"""Models of the paper: a resizer (learned or fixed) in front of a backbone, with a task head.

`build(task, backbone, resizer, input_size, output_size, filters, num_res_blocks, ...)`
returns a `ResizerModel`; `build_from_config(model.get_config())` rebuilds it; `parts(model)`
gives its resizer, backbone and head layers. `BACKBONES` is the backbone registry as a
mapping (resizer.models.backbones); resizers are registered in resizer.resizers.
`load_pretrained(model, source)` loads ImageNet or file weights into the backbone.
"""

from resizer.models.backbones import BACKBONES
from resizer.models import builder
from resizer.models.builder import ChannelAffine, ResizerModel, build_from_config, parts


def build(*args, weights=None, **kwargs):
    """resizer.models.builder.build, then `weights`: None (random), "imagenet" (the Keras cache) or
    a path (see resizer.models.weights.load_pretrained; not part of the model config)."""
    model = builder.build(*args, **kwargs)
    if weights is not None:
        load_pretrained(model, weights)
    return model


def load_pretrained(model, source, **kwargs):
    """See resizer.models.weights.load_pretrained (imported lazily: h5py and TF readers)."""
    from resizer.models.weights import load_pretrained as _load

    return _load(model, source, **kwargs)


__all__ = ["BACKBONES", "ChannelAffine", "ResizerModel", "build", "build_from_config", "load_pretrained", "parts"]
