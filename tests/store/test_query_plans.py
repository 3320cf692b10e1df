"""PostgreSQL plans: the scheduled jobs, the retention and the hot path read the rows
they need through an index, never a scan of the subscribers or the message tables.

A store of some 20,000 subscribers, activations and messages, analysed, stands in
for ten million: every statement the jobs and lookups send is EXPLAINed as it is
sent (SELECTs with ANALYZE), and each read of a guarded table must be an index
read of a few rows, not a Seq Scan nor a walk along an index filtering as it goes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, event, text

from app.cli import migrate
from app.domain.delivery_receipts import Receipt
from app.domain.subscriber import Month
from app.runtime import Runtime
from app.services.catalog_load import load_catalog
from app.services.clock import utc_now
from app.services.inbound import acknowledge_inbound
from app.services.outbox import claim_replies
from app.services.receipts import record_receipts
from app.services.retention import purge_messages
from app.services.scheduled import run_scheduled
from app.settings import Settings
from app.store.database import make_engine, make_session_factory
from tests.databases import selected_backends, throwaway_database
from tests.scheduled.helpers import local

pytestmark = pytest.mark.skipif(
    "postgresql" not in selected_backends(), reason="query plans are PostgreSQL's"
)

N = 20_000
#: Tables a job must never scan; each holds N rows or more here.
GUARDED = (
    "subscribers",
    "activations",
    "inbound_messages",
    "outbound_messages",
    "outbound_parts",
    "notices",
    "monthly_usage",
)
#: The most rows one read of a guarded table may touch (a day's birthdays are ~55,
#: the retention reads a window of `BATCH` ids).
MOST_ROWS = 1_000
BATCH = 500
AT = local(2026, 11, 23, 10, 0)
CONTRACT = json.dumps(
    {"years": 12, "minutes": 280, "qualifying_spend_fen": 120_00, "contract_months": 12}
)

LOAD = [
    # Birthdays spread over the year; a gold card each, so greetings go out.
    f"""INSERT INTO subscribers (msisdn, brand, status, opened_on, balance_fen, birthday,
        contact_method, alert, plan_fee_fen, guaranteed_spend_fen, cmmb_handset,
        mobile_payment, opted_out, vip_type, vip_level, vip_source, vip_valid_from,
        vip_valid_to, updated_at)
      SELECT '139' || lpad(i::text, 8, '0'), 'gotone', 'active', '2015-03-12', 0,
        date '1980-01-01' + (i % 366), 'sms', false, 0, 0, false, false, false,
        'individual', 'gold', 'spend', '2026-02-01', '2027-01-31', now()
      FROM generate_series(1, {N}) AS i""",
    # Mostly services long over; per thousand: one tenure contract, 20 free periods
    # ending within the reminder's week, 20 that ended (to lapse), 160 running on.
    f"""INSERT INTO activations (subscriber_id, campaign_code, exclusivity_key, package_code,
        monthly_fee_fen, free_months, activated_on, starts_on, ends_on, state, kind,
        service_code, details, created_at)
      SELECT i, c, c, '2', 2600, 9, '2026-01-10', s, e, st, k, c,
        (CASE WHEN k = 'tenure_reward' THEN '{CONTRACT}' ELSE '{{}}' END)::json, now()
      FROM (SELECT i,
          CASE WHEN i % 1000 = 0 THEN 'WLYH' ELSE 'IWJZS' END AS c,
          CASE WHEN i % 1000 = 0 THEN 'tenure_reward' ELSE 'free_experience' END AS k,
          CASE WHEN i % 1000 = 0 THEN date '2026-09-01' ELSE date '2026-02-01' END AS s,
          CASE WHEN i % 1000 = 0 THEN date '2027-08-31'
               WHEN i % 1000 <= 20 THEN date '2026-11-26'
               WHEN i % 1000 <= 40 THEN date '2026-11-20'
               WHEN i % 1000 <= 200 THEN date '2027-06-30'
               ELSE date '2026-10-31' END AS e,
          CASE WHEN i % 1000 <= 200 THEN 'active'
               WHEN i % 2 = 0 THEN 'lapsed' ELSE 'kept' END AS st
        FROM generate_series(1, {N}) AS i) AS a""",
    f"""INSERT INTO monthly_usage (subscriber_id, month, spend_fen, mou)
      SELECT s, (date '2026-01-01' + m * interval '1 month')::date, 15000, 200
      FROM generate_series(1, {N}) AS s, generate_series(0, 10) AS m""",
    # Messages over the last 270 days, a reply each; the last few still queued.
    f"""INSERT INTO inbound_messages (gateway, gateway_message_id, msisdn, short_code, text,
        received_at, outcome, mo_digest)
      SELECT 'json', 'm-' || i, '139' || lpad(i::text, 8, '0'), '10086', 'CXYE',
        now() - ({N} - i) * interval '20 minutes', 'balance', left(md5(i::text), 24)
      FROM generate_series(1, {N}) AS i""",
    f"""INSERT INTO outbound_messages (inbound_message_id, msisdn, sender, text, channel, state,
        attempts, next_attempt_at, created_at, updated_at)
      SELECT id, msisdn, '10086', 'ok', 'smpp',
        CASE WHEN id > {N} - 10 THEN 'queued' ELSE 'delivered' END, 1,
        CASE WHEN id > {N} - 10 THEN now() - interval '1 minute' END,
        received_at, received_at
      FROM inbound_messages""",
    """INSERT INTO outbound_parts (outbound_message_id, part_no, gateway, gateway_message_id,
        state, submitted_at, updated_at)
      SELECT id, 1, 'smsc', to_hex(id), 'delivered', created_at, created_at
      FROM outbound_messages""",
    """INSERT INTO pending_receipts (gateway_message_id, stat, received_at)
      SELECT 'ee' || i, 'DELIVRD', now() - i * interval '1 hour'
      FROM generate_series(1, 2000) AS i""",
    f"""INSERT INTO notices (msisdn, kind, subject, local_day, created_at)
      SELECT '139' || lpad(i::text, 8, '0'), 'birthday', '2025', '2025-06-18', now()
      FROM generate_series(1, {N}) AS i""",
    "ANALYZE",
]


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with throwaway_database("postgresql", tmp_path_factory.mktemp("plans")) as url:
        settings = Settings(
            database_url=url,
            gateway_token=SecretStr("test-gateway-token"),
            _env_file=None,  # type: ignore[call-arg]
        )
        migrate(settings)
        engine = make_engine(url)
        runtime = Runtime(settings, engine, make_session_factory(engine))
        load_catalog(runtime.uow_factory)
        with engine.begin() as connection:
            for statement in LOAD:
                connection.execute(text(statement))
        try:
            yield runtime
        finally:
            engine.dispose()


class Plans:
    """EXPLAINs each statement that names a guarded table, as it is sent."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def __enter__(self) -> Plans:
        event.listen(self.engine, "before_cursor_execute", self._explain)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._explain)

    def _explain(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if executemany or verb not in ("SELECT", "WITH", "UPDATE", "DELETE"):
            return
        if not any(table in statement for table in GUARDED):
            return
        # A SELECT runs twice (ANALYZE executes it); a write is planned only.
        options = "ANALYZE, FORMAT JSON" if verb in ("SELECT", "WITH") else "FORMAT JSON"
        cursor.execute(f"EXPLAIN ({options}) {statement}", parameters or None)
        self.seen.append((statement, cursor.fetchone()[0][0]["Plan"]))

    def problems(self) -> list[str]:
        found = []
        for statement, plan in self.seen:
            for node in _nodes(plan):
                table = node.get("Relation Name")
                if table not in GUARDED:
                    continue
                what = f"{node['Node Type']} on {table} in: {' '.join(statement.split())[:300]}"
                if node["Node Type"] == "Seq Scan":
                    found.append(what)
                elif "Actual Rows" in node:
                    read = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
                    read += node.get("Rows Removed by Index Recheck", 0)
                    if read * node.get("Actual Loops", 1) > MOST_ROWS:
                        found.append(f"{read} rows read by {what}")
        return found

    def indexes(self) -> set[str]:
        return {
            node["Index Name"]
            for _, plan in self.seen
            for node in _nodes(plan)
            if "Index Name" in node
        }


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_scheduled_jobs_read_only_what_is_due(big_store: Runtime) -> None:
    with Plans(big_store.engine) as plans:
        report = run_scheduled(big_store.uow_factory, AT, big_store.settings)
    assert report.reminders and report.lapsed and report.birthdays and report.credits
    problems = plans.problems()
    assert not problems, "\n".join(problems)
    assert {
        "ix_subscribers_birth_month_day",
        "ix_activations_kind_state_ends_on",
        "uq_notices_msisdn_kind_subject",
    } <= plans.indexes()


def test_hot_path_lookups_use_their_indexes(big_store: Runtime) -> None:
    with Plans(big_store.engine) as plans:
        with big_store.uow_factory() as uow:
            keys = [("json", "m-17"), ("json", "m-18"), ("json", "new-1")]
            msisdns = ["13900000017", "13900000018", "13800138000"]
            uow.prefetch(keys, msisdns, Month(2026, 5))
            # An SMPP MO no process remembers: looked for by its content's digest.
            digests = {hashlib.md5(b"17").hexdigest()[:24], "0" * 24}
            uow.messages.recorded_since(digests, utc_now() - timedelta(minutes=1))
        acknowledge_inbound(big_store.uow_factory, [(hashlib.md5(b"18").hexdigest()[:24], "m-18")])
        claimed = claim_replies(big_store.uow_factory, "smpp", "plans", 20, 60.0)
        record_receipts(
            big_store.uow_factory, [Receipt(format(N // 2, "x"), "DELIVRD", "delivered", "", None)]
        )
    assert claimed
    problems = plans.problems()
    assert not problems, "\n".join(problems)
    assert {
        "uq_subscribers_msisdn",
        "uq_inbound_messages_gateway_gateway_message_id",
        "ix_outbound_messages_channel_state_next_attempt_at",
        "ix_outbound_parts_gateway_message_id",
        "ix_inbound_messages_mo_digest",
    } <= plans.indexes()


def test_retention_reads_windows_of_ids(big_store: Runtime) -> None:
    now: datetime = utc_now()
    with Plans(big_store.engine) as plans:
        report = purge_messages(big_store.uow_factory, now, big_store.settings, BATCH)
    assert report.horizon == now - timedelta(days=180)
    assert report.deleted["inbound_messages"] > 0 and report.deleted["outbound_parts"] > 0
    problems = plans.problems()
    assert not problems, "\n".join(problems)
    assert {"ix_activations_inbound_message_id", "ix_outbound_messages_inbound_message_id"} <= (
        plans.indexes()
    )
