"""The HTTP layer around the app: everything between a socket and the routes.

``gateway`` is the one ASGI layer in front of FastAPI (request ids, body limits, admission control,
security headers from ``security``, the access log from ``logs``, metrics from ``metrics``, and
errors answered from the table in ``errors``); ``protocol`` is uvicorn's httptools protocol that
writes each response once; ``workers`` supervises the worker processes, each on its own
``SO_REUSEPORT`` socket; ``gcwatch`` logs slow garbage collections. It depends on
:mod:`service.errors`, Starlette and uvicorn, never on the routes (:mod:`service.api`,
:mod:`service.v2`), the image code or the model runtime: the app factory (:mod:`service.app`) wires
those together.
"""
