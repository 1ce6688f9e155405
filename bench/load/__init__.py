"""The load generators and what they send: drivers for wrk, hey, h2load and locust.

``wrk`` (with ``predict.lua``) runs the concurrency sweeps; ``hey`` drives the soak and ``h2load`` the
overload, both through ``plan`` (a rate-limited load, the tally of its answers by status, stopping a
generator at its deadline); ``bodies`` builds the request bodies they replay from the sample digits
(:mod:`bench.digits`); ``locustfile`` is for ad-hoc load against any deployment. Nothing here starts
a server or knows the benchmark's parts: it depends on :mod:`bench.digits` only, never on
:mod:`bench.servers` or the service.
"""
