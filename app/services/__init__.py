"""Use cases, one per function, each in one unit of work."""
