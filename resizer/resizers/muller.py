"""MULLER (Multilayer Laplacian Resizer, ICCV 2023): `resizer.muller.MullerResizer`, four scalars."""

from resizer.resizers import Resizer, register_resizer


def _make(output_size, filters, num_res_blocks, interpolation):
    del filters, num_res_blocks  # two Laplacian bands, not shaped by n and r
    from resizer.muller import MullerResizer

    return MullerResizer(output_size, interpolation=interpolation, name="muller_resizer")


register_resizer(Resizer("muller", _make, "muller_resizer", learned=True,
                         description="MULLER: a plain resize plus 2 learned Laplacian bands"))
