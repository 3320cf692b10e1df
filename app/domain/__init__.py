"""The business rules of DOMAIN.md as pure functions over plain dataclasses.

Nothing here imports anything but the standard library, so the rules can be
tested without a database, a network or a web framework.
"""
