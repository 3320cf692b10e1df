"""Helpers the test packages share: polling, an ESME on a thread, a headless browser."""
