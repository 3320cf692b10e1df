"""The simulator's ISMG: CMPP 2.0 / 3.0 with its own small codec (nothing of `app/`)."""
