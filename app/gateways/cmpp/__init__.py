"""CMPP 2.0 / 3.0 (China Mobile Peer to Peer): the SP side of a link to an ISMG.

No maintained Python CMPP library exists (PyPI's `pycmpp` and `cmppy` are
unmaintained 2.0-only clients), so the codec is written here, from the
published layouts (see /work/shared/research/cmpp.md).
"""
