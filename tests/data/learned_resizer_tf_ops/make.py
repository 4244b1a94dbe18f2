"""Made these files with the LearnedResizer of commit 02cb929 (tf.image.resize, before the
keras.ops rewrite), so tests/test_layers.py can check that today's files still load:

    mkdir -p /tmp/old && git archive 02cb929 resizer | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old python tests/data/learned_resizer_tf_ops/make.py OUT    # from the clone's root
"""
import sys

import numpy as np
import tensorflow as tf
import keras

from resizer import LearnedResizer

out = sys.argv[1]
inputs = keras.Input((None, None, 3))
layer = LearnedResizer((12, 10), filters=4, num_res_blocks=2, interpolation="bicubic", name="learned_resizer")
model = keras.Model(inputs, layer(inputs))
x = np.random.default_rng(0).random((2, 20, 18, 3), dtype=np.float32)
model(x, training=True)
for v in model.weights:  # move every weight (BN statistics too) off its initial value
    v.assign(v + np.random.default_rng(len(v.path)).normal(0, 0.05, v.shape).astype("float32"))
model.save(out + "/model.keras")
tf.train.Checkpoint(resizer=layer).write(out + "/ckpt")
np.savez(out + "/io.npz", x=x, y=model(x, training=False).numpy())
