"""Every paid question says how to cancel; the care-insurance success SMS says
it is free (DOMAIN.md §5; issue 11, finding 13)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.runtime import Runtime
from tests.hostile.helpers import post_mo, raw_client

pytestmark = pytest.mark.usefixtures("catalog")

WHEN = "2026-11-22T10:00:00+08:00"
USAGE = {f"2026-{m:02d}": (150_00, 200) for m in range(1, 11)}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("text", ["YC SJB", "WLYH"])
def test_paid_questions_say_how_to_cancel(
    runtime: Runtime, add_subscriber: Callable, text: str, language: str
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"language": language})
    add_subscriber("13800138000", usage=USAGE)
    body = post_mo(raw_client(runtime), text, "w-1", received_at=WHEN).json()
    assert body["outcome"] == "confirmation_required", body
    reply = body["replies"][0]["text"]
    assert ("退订请致电10086" in reply) if language == "zh" else ("to cancel, call 10086" in reply)


@pytest.mark.parametrize(("language", "free"), [("zh", "免费"), ("en", "free")])
def test_care_insurance_success_says_it_is_free(
    runtime: Runtime, add_subscriber: Callable, language: str, free: str
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"language": language})
    add_subscriber("13800138000", usage=USAGE)
    body = post_mo(raw_client(runtime), "GABX 张三", "w-1", received_at=WHEN).json()
    assert body["outcome"] == "activated", body
    assert free in body["replies"][0]["text"]
