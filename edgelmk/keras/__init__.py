"""Keras + Larq mirror of the PyTorch architectures (NHWC), for TFLite and LCE export.

Importing this package needs the ``tflite`` extra (TensorFlow, tf-keras, Larq). It selects
the legacy tf-keras (``TF_USE_LEGACY_KERAS=1``) that Larq 0.14 requires, so import it
before anything imports TensorFlow.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
