"""The servers under test other than the service itself, and how every server is run.

``launch`` starts a server (the service, or one of these) on 127.0.0.1 on a free port, waits for
``/readyz`` and stops it by PID; ``naive`` is the baseline a tutorial would write; ``floor`` refuses
every request at once (the overload part's calibration); ``nginx`` runs ``deploy/nginx.conf`` with a
real nginx in a temporary prefix. Nothing here drives load or knows the benchmark's parts: it never
imports :mod:`bench.load`, and the service only as a subprocess (``python -m service``).
"""
