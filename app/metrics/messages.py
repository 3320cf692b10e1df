"""MOs by channel, keyword and outcome, and how long an MO took to commit.

`observed` wraps the batch use case (`handle_inbound_many`): one label tally per
batch, no query. The keyword label is bounded: a built-in command or a campaign
keyword this process has read from the catalog, else `other`, so garbage texts
cannot grow the series.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter as Tally
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from prometheus_client import Counter, Histogram

from app.domain.commands import DEFAULT_VOCABULARY, Vocabulary, parse
from app.metrics import replies
from app.services.catalog import campaign_keywords
from app.services.clock import utc_now

log = logging.getLogger("smshall.metrics")

MOS = Counter(
    "smshall_mo",
    "MOs handled, by channel (gateway kind), keyword and outcome",
    ["channel", "keyword", "outcome"],
)
#: From the MO stamped received (SMPP: taken from its batch) to its transaction's commit.
COMMIT_SECONDS = Histogram(
    "smshall_mo_commit_seconds",
    "Seconds from an MO's receipt to the commit of its answer",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
#: Outcome labels for what is not an answer of the rules.
DUPLICATE, ERROR = "duplicate", "error"
OTHER = "other"

F = TypeVar("F", bound=Callable[..., Any])


def keyword_of(text: str, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> str:
    """The canonical keyword of `text` if the service knows it, else `other`."""
    command = parse(text, vocabulary)
    return command.keyword if command.known else OTHER


class KeywordLabels:
    """`keyword_of` remembered per text (most MOs repeat a few keywords), for one
    vocabulary: a catalog change brings a new one, and a full memo starts afresh."""

    SIZE = 10_000

    def __init__(self, campaigns: frozenset[str]) -> None:
        self.campaigns = campaigns
        self.vocabulary = DEFAULT_VOCABULARY.with_keywords(sorted(campaigns))
        self._memo: dict[str, str] = {}

    def of(self, text: str) -> str:
        label = self._memo.get(text)
        if label is None:
            if len(self._memo) >= self.SIZE:
                self._memo = {}
            label = self._memo[text] = keyword_of(text, self.vocabulary)
        return label


_labels = KeywordLabels(frozenset())


def _keyword_labels() -> KeywordLabels:
    global _labels
    campaigns = campaign_keywords()
    if campaigns != _labels.campaigns:
        _labels = KeywordLabels(campaigns)
    return _labels


def channel_of(gateway: str) -> str:
    """`smpp:<bind>` → `smpp`: the kind, not the bind (binds have series of their own)."""
    return gateway.partition(":")[0]


def count_batch(messages: Sequence[Any], results: Sequence[Any]) -> None:
    """Tally a handled batch: one `inc` per label set, one observation per MO."""
    tally: Tally[tuple[str, str, str]] = Tally()
    keywords = _keyword_labels()
    from app.services.inbound import IN_ANSWER  # that module imports this one

    written = replies.Written(IN_ANSWER)
    now = utc_now()
    for message, result in zip(messages, results, strict=False):
        if isinstance(result, Exception):
            outcome = ERROR
        elif result.duplicate:
            outcome = DUPLICATE  # answered before: nothing new was written
        else:
            outcome = result.outcome or OTHER
            COMMIT_SECONDS.observe(max(0.0, (now - message.received_at).total_seconds()))
            written.add(message.received_at, result)
        tally[(channel_of(message.gateway), keywords.of(message.text), outcome)] += 1
    for labels, count in tally.items():
        MOS.labels(*labels).inc(count)
    written.count()


def observed(handle_many: F) -> F:
    """Count what a batch call of the inbound use case handled, once it returned."""

    @functools.wraps(handle_many)
    def wrapper(uow_factory: Any, messages: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
        try:
            results = handle_many(uow_factory, messages, *args, **kwargs)
        except Exception as error:
            count_batch(messages, [error] * len(messages))
            raise
        try:
            count_batch(messages, results)
        except Exception:  # committed and answered already: a count is never worth an MO
            log.exception("counting a batch of %d MOs failed", len(messages))
        return results

    return wrapper  # type: ignore[return-value]
