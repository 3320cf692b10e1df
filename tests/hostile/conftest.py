"""The long fuzzing runs (100,000 examples each) only when asked for with `-m slow`.

`slow` is not excluded from the default run (it also marks end-to-end tests
that every run keeps), so a test marked `fuzz_long` is skipped unless the
marker expression names `slow`: the default suite stays fast.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    asked = "slow" in (config.option.markexpr or "")
    skip = pytest.mark.skip(reason="100,000 examples: run with -m slow")
    for item in items:
        if item.get_closest_marker("fuzz_long") is not None and not asked:
            item.add_marker(skip)
