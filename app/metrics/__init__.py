"""Prometheus metrics: every series is defined here, and the code it counts calls
one function per batch. `GET /metrics` (app/api/metrics.py) serves them."""
