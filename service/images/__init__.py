"""Pure image code: decoding the bytes a client sent, and making any picture of a digit look like MNIST.

``decode`` turns bytes (PNG, JPEG, ...) and client-sent pixel arrays into checked numpy arrays;
``preprocess`` normalises them into the model's 28x28 input. Both work on plain bytes and arrays and
raise the domain errors of :mod:`service.errors`; nothing here knows about HTTP (no FastAPI, no
Starlette), the model runtime, or any other part of the service.
"""
