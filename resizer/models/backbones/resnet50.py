"""ResNet-50: keras.applications' ResNet50V2, whose FLOPS are the paper's 6.97 (224) and 27.85 (448)
(ResNet50 v1 counts 7.72): Tables 4, 6, 8, 9 and Section 4.3."""

from resizer.models.backbones import GOOGLE_APPLICATIONS, TF_MODE, TO_MINUS_ONE_ONE, application, register_backbone

register_backbone(application(
    "resnet50", "ResNet50V2", TO_MINUS_ONE_ONE, TF_MODE, GOOGLE_APPLICATIONS + "resnet/",
    "resnet50v2_weights_tf_dim_ordering_tf_kernels.h5", "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
    6.97, in_paper=True))
