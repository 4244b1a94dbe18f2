"""Fixed resizes: the paper's baselines (bilinear for ImageNet, bicubic for AVA)."""

from resizer.resizers import Resizer, register_resizer


def fixed(method, antialias=False):
    def make(output_size, filters, num_res_blocks, interpolation):
        del filters, num_res_blocks, interpolation  # a fixed resize is its method alone
        import keras

        return keras.layers.Resizing(*output_size, interpolation=method, antialias=antialias, name="fixed_resizer")

    return make


for _method in ("bilinear", "bicubic"):
    register_resizer(Resizer(_method, fixed(_method), "fixed_resizer", description=f"tf.image.resize, {_method}"))
