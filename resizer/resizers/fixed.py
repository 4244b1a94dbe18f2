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
# What a careful user tries before a learned resizer (the real-data suite): antialiased bilinear,
# and area (the mean over each output pixel's footprint; fixed only, it has no gradient).
register_resizer(Resizer("bilinear_aa", fixed("bilinear", antialias=True), "fixed_resizer",
                         description="tf.image.resize, bilinear with antialias=True"))
register_resizer(Resizer("area", fixed("area"), "fixed_resizer", description="tf.image.resize, area"))
