"""Adapters to the outside world: HTTP inbound, SMPP, the outbox sender."""
