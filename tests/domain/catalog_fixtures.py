"""The shipped catalog as domain campaigns, for rule and wording tests."""

from __future__ import annotations

import yaml

from app.catalog import DEFAULT_CATALOG
from app.catalog.schema import parse_catalog
from app.domain.campaigns import Campaign

SHIPPED: dict[str, Campaign] = {
    spec.code: spec.to_domain()
    for spec in parse_catalog(yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))).campaigns
}
