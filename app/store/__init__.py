"""Persistence: SQLAlchemy models, the unit of work and the queries services use."""

# Every table on the one metadata, whichever store module is imported first.
from app.store import link_rows as _link_rows  # noqa: F401
