"""Load-testing kit: the naive baseline server, wrk and locust drivers, and the one-command benchmark."""
