"""gateway_sim: an SMSC simulator (SMPP 3.4 server + HTTP control API) for testing smshall.

It is a network peer of the service: it never imports from ``app``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
