"""Inception-v2 (BN-Inception) as TF-slim defines it: the paper's Inception-v2 (Tables 4-8)."""

from resizer.models.backbones import TO_MINUS_ONE_ONE, Backbone, register_backbone


def make_inception_v2(input_shape):
    from resizer.models.inception_v2 import inception_v2_features

    return inception_v2_features(input_shape, name="backbone")


register_backbone(Backbone(
    "inception_v2", "resizer.models.inception_v2 (TF-slim nets/inception_v2.py)", make_inception_v2,
    *TO_MINUS_ONE_ONE, normalisation="[-1, 1] (slim inception preprocessing)", classifier_dropout=0.2,
    paper_gflops_224=3.88, in_paper=True))
