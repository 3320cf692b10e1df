"""The operator's admin REST API."""
