"""MobileNet-v2, alpha 1.0 (keras.applications): Tables 4, 6 and 8."""

from resizer.models.backbones import GOOGLE_APPLICATIONS, TF_MODE, TO_MINUS_ONE_ONE, application, register_backbone

register_backbone(application(
    "mobilenet_v2", "MobileNetV2", TO_MINUS_ONE_ONE, TF_MODE, GOOGLE_APPLICATIONS + "mobilenet_v2/",
    "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
    "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5", 0.60, in_paper=True))
