"""Running the model: everything between a float32 batch of 28x28 images and its class probabilities.

``sidecar`` reads and checks a model's ``model.json``; ``runtime`` loads the ONNX session and runs it;
``batching`` gathers requests into batches for one model; ``versions`` loads, validates and warms up
one version; ``repository`` scans the model repository, serves the configured versions and hot-reloads
new ones. It depends on onnxruntime, numpy and :mod:`service.errors` (and reads the reference digits
from :mod:`service.assets`); it knows nothing about HTTP (no FastAPI, no Starlette), wire formats,
image decoding, or any other part of the service.
"""
