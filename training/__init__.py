"""Training the row-wise LSTM on MNIST and exporting it to ONNX: ``python training/train.py``."""

import os

# onnxruntime >= 1.29 sends usage telemetry from Linux too (a device id under ~/.cache/Microsoft, an
# event cache, uploads to Microsoft) unless this is set before it initialises; off unless asked for.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
