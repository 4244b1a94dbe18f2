"""The paper's learned resizer (Figure 3): `resizer.layers.LearnedResizer`."""

from resizer.resizers import Resizer, register_resizer


def _make(output_size, filters, num_res_blocks, interpolation):
    from resizer.layers import LearnedResizer

    return LearnedResizer(output_size, filters=filters, num_res_blocks=num_res_blocks, interpolation=interpolation,
                          name="learned_resizer")


register_resizer(Resizer("learned", _make, "learned_resizer", learned=True, shaped=True,
                         description="the CNN resizer of Figure 3, trained jointly"))
