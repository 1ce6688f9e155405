"""A realistic, non-MNIST evaluation set of digit images, and the script that scores a model on it."""

import os

# onnxruntime >= 1.29 sends usage telemetry from Linux too (a device id under ~/.cache/Microsoft, an
# event cache, uploads to Microsoft) unless this is set before it initialises; off unless asked for.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
