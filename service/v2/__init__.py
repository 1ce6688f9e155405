"""The Open Inference Protocol v2 (KServe, Triton), beside the service's own REST API.

``routes`` registers the ``/v2`` REST endpoints; ``codec`` turns infer bodies (JSON, and Triton's
binary tensor extension) into arrays and back, as pure functions; ``schemas`` holds the protocol's
JSON shapes and their OpenAPI documentation. Only ``routes`` touches FastAPI. Inference goes through
the same batcher as ``/predict``, reached through the service state; the routes share the REST API's
dependencies (:mod:`service.api.deps`) and its inline-decode threshold (:mod:`service.api.codec`),
and nothing in :mod:`service.api` depends on this package.
"""
