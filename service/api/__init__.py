"""The REST API: one router per concern, and the wire format of ``/predict``.

Routes: ``predict`` (``POST /predict``), ``health`` (``/healthz``, ``/readyz``), ``model_info``
(``/model``), ``metrics`` (``/metrics``), ``admin`` (``/admin/reload``) and ``page`` (the draw-a-digit
page and ``/static``). Beside them: ``deps`` (the ``Annotated`` dependencies), ``schemas`` (the JSON
shapes, for validation and OpenAPI), ``codec`` (request bodies to model input and results to JSON),
``multipart`` (form parsing) and ``examples`` (the OpenAPI examples). Handlers stay thin and raise the
domain errors of :mod:`service.errors`; the app factory (:mod:`service.app`) wires the routers in.
Nothing here depends on the Open Inference Protocol (:mod:`service.v2`) or imports onnxruntime: the
model is reached through the service state.
"""
