"""DenseNet-121 (keras.applications): Tables 4-8."""

from resizer.models.backbones import GOOGLE_APPLICATIONS, TO_IMAGENET_STANDARD, application, register_backbone

register_backbone(application(
    "densenet121", "DenseNet121", TO_IMAGENET_STANDARD, "ImageNet mean/std ('torch' mode)",
    GOOGLE_APPLICATIONS + "densenet/", "densenet121_weights_tf_dim_ordering_tf_kernels.h5",
    "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5", 5.67, in_paper=True))
