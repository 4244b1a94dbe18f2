"""Models of the paper: a resizer (learned or fixed) in front of one of five backbones.

`build(task, backbone, resizer, input_size, output_size, filters, num_res_blocks, ...)`
returns a `ResizerModel`; `build_from_config(model.get_config())` rebuilds it.
`BACKBONES` lists the registered backbones (the paper's five and `tiny_cnn`).
`load_pretrained(model, source)` loads ImageNet or file weights into the backbone.
"""

from resizer.models.backbones import BACKBONES, PAPER_BACKBONES
from resizer.models.registry import (FIXED_RESIZERS, IQA_BINS, RESIZERS, TASKS, ChannelAffine, ResizerModel, build,
                                     build_from_config)


def load_pretrained(model, source, **kwargs):
    """See resizer.models.weights.load_pretrained (imported lazily: h5py and TF readers)."""
    from resizer.models.weights import load_pretrained as _load

    return _load(model, source, **kwargs)


__all__ = ["BACKBONES", "PAPER_BACKBONES", "TASKS", "RESIZERS", "FIXED_RESIZERS", "IQA_BINS", "ChannelAffine",
           "ResizerModel", "build", "build_from_config", "load_pretrained"]
