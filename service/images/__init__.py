"""Pure image code: decoding the bytes a client sent, and making any picture of a digit look like MNIST.

``decode`` turns bytes (PNG, JPEG, ...) and client-sent pixel arrays into checked numpy arrays;
``ink`` finds the strokes in a picture (polarity, background, hysteresis; ``NoDigit`` when there are
none); ``strokes`` measures stroke width and brings it near MNIST's; ``preprocess`` puts it together
into the model's 28x28 input. All of it works on plain bytes and arrays and raises the domain errors
of :mod:`service.errors`; nothing here knows about HTTP (no FastAPI, no Starlette), the model
runtime, or any other part of the service.
"""
