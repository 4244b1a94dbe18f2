"""Inception-v3 (keras.applications), not in the paper: the worked example of adding a backbone.

This file is all it took: the registry finds every module of this package, so
`--backbone=inception_v3` works in every script, flag file, FLOPs count and comparison.
"""

from resizer.models.backbones import GOOGLE_APPLICATIONS, TF_MODE, TO_MINUS_ONE_ONE, application, register_backbone

register_backbone(application(
    "inception_v3", "InceptionV3", TO_MINUS_ONE_ONE, TF_MODE, GOOGLE_APPLICATIONS + "inception_v3/",
    "inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
    None))
