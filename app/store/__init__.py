"""Persistence: SQLAlchemy models, the unit of work and the queries services use."""
