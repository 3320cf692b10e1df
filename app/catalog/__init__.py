"""The campaign catalog: the shipped file and the schema every catalog must pass."""

from pathlib import Path

DEFAULT_CATALOG = Path(__file__).with_name("default.yaml")
