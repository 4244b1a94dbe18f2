"""ImageNet baselines of the backbones Table 5 fine-tunes on AVA but Table 4 never trains
(EfficientNet-b0): trained from scratch like Table 4's default baselines."""

import functools

from resizer import experiments as ex
from resizer import tables


@functools.cache
def _table4_backbones():
    return frozenset(row.backbone for row in tables.rows(4))


def baseline(backbone):
    """The ImageNet baseline (bilinear to 224, from scratch) of a backbone."""
    if backbone in _table4_backbones():
        from resizer.tables.table4 import baseline as table4_baseline  # not at the top: table5 imports this module

        return table4_baseline(backbone)
    return f"imagenet/{backbone}/bilinear_224"


def experiments():
    needed = dict.fromkeys(row.backbone for row in tables.rows(5))
    return [ex.Experiment(baseline(bb), None, "imagenet2012", bb, "bilinear", output=224, batch_size=ex.BATCH[224],
                          learning_rate=ex.LR_SCRATCH, train_epochs=ex.EPOCHS_SCRATCH,
                          description=f"ImageNet baseline of {bb} (in no table): starts its Table 5 baseline")
            for bb in needed if bb not in _table4_backbones()]
