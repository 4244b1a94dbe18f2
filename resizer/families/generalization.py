"""Section 4.3, runs no table prints: the ImageNet resizer on CIFAR-10, and trained resizers
in front of another backbone's baseline without re-tuning."""

from resizer import experiments as ex
from resizer import tables
from resizer.tables import table4

SHARED_FILES = {"cifar10": ("CIFAR-10 classification, Section 4.3.", {})}
CIFAR_BASELINE = "generalization/cifar10_resnet50/bilinear_224"


def experiments():
    exps = [
        ex.Experiment(CIFAR_BASELINE, None, "cifar10", "resnet50", "bilinear", output=224, batch_size=ex.BATCH[224],
                      init_backbone_from=table4.baseline("resnet50"),
                      description="Section 4.3: CIFAR-10 ResNet-50 baseline (paper: 6.9% top-1 error), "
                                  "fine-tuned from the ImageNet baseline"),
        ex.proposed("generalization/cifar10_resnet50/imagenet_resizer_368", None, "cifar10", "resnet50", 368,
                    CIFAR_BASELINE, init_resizer_from=table4.proposed_name("resnet50", 368),
                    train_epochs=ex.EPOCHS_RETUNE,
                    description="Section 4.3: the ImageNet ResNet-50 resizer re-tuned with the CIFAR-10 baseline "
                                "(paper: 0.4 points below the baseline's error)"),
    ]
    backbones = list(dict.fromkeys(row.backbone for row in tables.rows(table4.NUMBER)))
    for target in backbones:
        for initial in backbones:
            if target != initial:
                exps.append(ex.proposed(
                    f"generalization/no_retuning/{target}/from_{initial}", None, "imagenet2012", target, 368,
                    table4.baseline(target), init_resizer_from=table4.proposed_name(initial, 368), train_epochs=0,
                    description=f"Section 4.3: {initial}'s trained resizer in front of the {target} baseline, "
                                "no re-tuning (evaluation only)"))
    return exps
