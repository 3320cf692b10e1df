"""A subscriber base for the monthly KPI report (DOMAIN.md §8), generated inside
PostgreSQL set-based (`INSERT … SELECT … generate_series`, one statement per table
and per usage month), deterministic: every draw is a hash of the subscriber id and
a salt (`hashint8extended`), so two fills of the same size are the same base.

What it holds, for a report month M (the photo window is the default catalog's):

* subscribers: 40 % GoTone, 40 % M-Zone, 20 % EasyOwn; 92 % active, 4 % suspended,
  4 % closed; 3 % opened during the usage year; 15 % of GoTone holding a VIP card
  (diamond, gold, silver; a tenth of them granted, a tenth expired); 20 % on a plan
  of 88 yuan or more; 1 % on alert.
* usage: every month the report reads (the photo window, the six complete months
  before M, and M: `usage_months`), nothing else; a row per subscriber and month
  once opened, 2 % of months missing, none after a closed subscriber's last month.
  Spend from four tiers of a subscriber's level (35 % 8–50 yuan, 30 % 50–100,
  25 % 80–200, 10 % 150–600), each month 70–130 % of it; MOU in proportion.
* bundles: 45 % of subscribers hold one of the seven kinds, 30 % of those a second;
  from 2025–2026, half open-ended, the rest running 3–24 months.
* sign-ups: 4 % of subscribers took one offer since August 2026 (the campaigns'
  start) across the catalog's campaigns; free experiences end by their free
  months, those ended kept (60 %) or lapsed; a reminder (with its outbound
  message, 95 % sent) a week before each free period ended by M's end.
"""

from __future__ import annotations

from datetime import date

from app.domain.segments import PhotoWindow, latest_complete_months
from app.domain.subscriber import Month

FIRST_NUMBER = 13_000_000_000
#: Offers signed up for: campaign, kind, package, free months (0: none), monthly fee.
OFFERS = (
    ("IWJZS", "free_experience", "1", 3, 1400),
    ("IWJZS", "free_experience", "2", 6, 2600),
    ("IWJZS", "free_experience", "3", 9, 5500),
    ("IWJZS", "free_experience", "4", 3, 6800),
    ("TY", "free_experience", "SJB", 1, 500),
    ("TY", "free_experience", "CL", 1, 1000),
    ("TY", "free_experience", "HBGJ", 1, 300),
    ("TY", "free_experience", "139", 1, 500),
    ("YC", "prestore_rebate", "SJB", 0, 500),
    ("YC", "prestore_rebate", "FX", 0, 500),
    ("WLYH", "tenure_reward", "WLYH", 0, 0),
)


def draw(value: str, salt: int, size: int) -> str:
    """SQL for a deterministic draw in 0 … size-1 from an integer expression (`%%`:
    every statement is sent with parameters)."""
    return f"abs(hashint8extended(({value})::bigint, {salt}) %% {size})::int"


def usage_months(month: Month, photo: PhotoWindow) -> list[Month]:
    """The months the report for `month` reads: the photo window's first to `month`
    (the eligibility's six complete months lie between when M is within a year)."""
    first = min(photo.first, latest_complete_months(month.last_day()).first)
    months, current = [], first
    while current <= month:
        months.append(current)
        current = current.plus(1)
    return months


SUBSCRIBERS = f"""
INSERT INTO subscribers (msisdn, brand, status, opened_on, balance_fen, birthday,
    contact_method, alert, plan_fee_fen, guaranteed_spend_fen, cmmb_handset,
    mobile_payment, opted_out, account_manager, vip_type, vip_level, vip_source,
    vip_valid_from, vip_valid_to, updated_at)
SELECT ({FIRST_NUMBER} + n)::text,
    CASE WHEN b < 40 THEN 'gotone' WHEN b < 80 THEN 'mzone' ELSE 'easyown' END,
    CASE WHEN st < 4 THEN 'closed' WHEN st < 8 THEN 'suspended' ELSE 'active' END,
    CASE WHEN {draw("n", 3, 100)} < 3 THEN DATE '2026-01-01' + {draw("n", 7, 270)}
         ELSE DATE '2003-01-01' + {draw("n", 7, 8000)} END,
    {draw("n", 8, 30000)} * 100, DATE '1950-01-01' + {draw("n", 9, 20000)}, 'sms',
    {draw("n", 6, 100)} = 0,
    CASE WHEN {draw("n", 5, 10)} < 1 THEN 12800 WHEN {draw("n", 5, 10)} < 2 THEN 8800
         ELSE 3800 END,
    0, false, false, false, 'manager-' || {draw("n", 10, 2000)},
    CASE WHEN vip THEN 'individual' END,
    CASE WHEN vip THEN (ARRAY['diamond', 'gold', 'gold', 'silver', 'silver'])[1 + v %% 5] END,
    CASE WHEN vip THEN CASE WHEN v %% 10 = 3 THEN 'granted' ELSE 'spend' END END,
    CASE WHEN vip THEN DATE '2026-01-01' END,
    CASE WHEN vip THEN CASE WHEN v %% 10 = 7 THEN DATE '2026-06-30'
                            ELSE DATE '2026-12-31' END END,
    now()
FROM (
    SELECT n, {draw("n", 1, 100)} AS b, {draw("n", 2, 100)} AS st, {draw("n", 4, 1000)} AS v,
        {draw("n", 1, 100)} < 40 AND {draw("n", 4, 1000)} < 150 AS vip
    FROM generate_series(1, %(count)s) AS n
) AS drawn
"""

#: One month's usage (%(month)s its first day, %(index)s its place in the year).
USAGE = f"""
INSERT INTO monthly_usage (subscriber_id, month, spend_fen, mou)
SELECT id, %(month)s, level * (70 + {draw("id * 16 + %(index)s", 12, 61)}) / 100,
    level / 40 * (50 + {draw("id * 16 + %(index)s", 13, 101)}) / 100
FROM (
    SELECT id, opened_on, status,
        CASE WHEN t < 35 THEN 800 + {draw("id", 11, 4200)}
             WHEN t < 65 THEN 5000 + {draw("id", 11, 5000)}
             WHEN t < 90 THEN 8000 + {draw("id", 11, 12000)}
             ELSE 15000 + {draw("id", 11, 45000)} END AS level
    FROM (SELECT id, opened_on, status, {draw("id", 10, 100)} AS t FROM subscribers) AS s
) AS leveled
WHERE opened_on < %(month)s::date + interval '1 month'
  AND {draw("id * 16 + %(index)s", 14, 100)} >= 2
  AND (status <> 'closed' OR %(index)s < {draw("id", 15, 12)})
"""

BUNDLES = f"""
INSERT INTO subscriber_bundles (subscriber_id, kind, valid_from, valid_to)
SELECT id, (ARRAY['terminal', 'payment_rebate', 'yearly_quarterly', 'family_plan',
        'group_member', 'value_added', 'service_card'])[1 + ({draw("id", 20, 7)} + k * 3) %% 7],
    starts,
    CASE WHEN {draw("id * 2 + k", 22, 2)} = 0 THEN NULL
         ELSE starts + 90 + {draw("id * 2 + k", 23, 640)} END
FROM (
    SELECT id, k, DATE '2025-01-01' + {draw("id * 2 + k", 21, 700)} AS starts
    FROM subscribers, generate_series(0, 1) AS k
    WHERE {draw("id", 24, 100)} < 45 AND (k = 0 OR {draw("id", 25, 100)} < 30)
) AS held
"""


def _offers_sql() -> str:
    return "(VALUES " + ", ".join(
        f"({i}, '{c}', '{kind}', '{p}', {free}, {fee})"
        for i, (c, kind, p, free, fee) in enumerate(OFFERS)
    ) + ") AS offer (i, campaign, kind, package, free_months, fee)"  # fmt: skip


#: %(until)s: the last day of the report month; sign-ups run from 2026-08-01 to it.
ACTIVATIONS = f"""
INSERT INTO activations (subscriber_id, campaign_code, exclusivity_key, package_code,
    monthly_fee_fen, free_months, activated_on, starts_on, ends_on, state, created_at,
    kind, service_code, details, ended_on)
SELECT id, campaign, campaign || ':' || package, package, fee, free_months, taken, taken,
    ends_on,
    CASE WHEN kind <> 'free_experience' OR ends_on >= %(until)s THEN 'active'
         WHEN {draw("id", 32, 10)} < 6 THEN 'kept' ELSE 'lapsed' END,
    now(), kind, campaign || package, '{{}}',
    CASE WHEN kind = 'free_experience' AND ends_on < %(until)s THEN ends_on END
FROM (
    SELECT s.id, offer.*, taken,
        CASE WHEN offer.free_months > 0
             THEN (taken + make_interval(months => offer.free_months))::date - 1
             ELSE DATE '2027-07-31' END AS ends_on
    FROM (
        SELECT id, DATE '2026-08-01' + {draw("id", 31, 10000)} %% (%(until)s - DATE '2026-08-01' + 1)
            AS taken, {draw("id", 33, len(OFFERS))} AS pick
        FROM subscribers WHERE {draw("id", 30, 1000)} < 40
    ) AS s JOIN {_offers_sql()} ON offer.i = s.pick
) AS signed
"""

#: The reminders of free periods ended by the month's end, each with its message.
OUTBOUND = """
INSERT INTO outbound_messages (id, msisdn, sender, text, channel, state, attempts,
    created_at, updated_at)
SELECT a.id, s.msisdn, '10086', 'reminder', 'smpp', 'delivered', 1, now(), now()
FROM activations AS a JOIN subscribers AS s ON s.id = a.subscriber_id
WHERE a.kind = 'free_experience' AND a.ends_on <= %(until)s
"""
NOTICES = f"""
INSERT INTO notices (msisdn, kind, subject, local_day, outbound_message_id, created_at,
    activation_id)
SELECT s.msisdn, 'reminder', a.id::text, a.ends_on - 7,
    CASE WHEN {draw("a.id", 34, 100)} < 95 THEN a.id END, now(), a.id
FROM activations AS a JOIN subscribers AS s ON s.id = a.subscriber_id
WHERE a.kind = 'free_experience' AND a.ends_on <= %(until)s
"""


def statements(count: int, month: Month, photo: PhotoWindow) -> list[tuple[str, str, dict]]:
    """(what, SQL, parameters) in order: subscribers, each usage month, the rest."""
    until: date = month.last_day()
    steps: list[tuple[str, str, dict]] = [("subscribers", SUBSCRIBERS, {"count": count})]
    for index, current in enumerate(usage_months(month, photo)):
        steps.append((f"usage {current}", USAGE, {"month": current.first_day(), "index": index}))
    steps += [
        ("bundles", BUNDLES, {}),
        ("sign-ups", ACTIVATIONS, {"until": until}),
        ("reminder messages", OUTBOUND, {"until": until}),
        ("reminders", NOTICES, {"until": until}),
        (
            "sequence",
            "SELECT setval(pg_get_serial_sequence('outbound_messages', 'id'),"
            " (SELECT coalesce(max(id), 1) FROM outbound_messages))",
            {},
        ),
    ]
    return steps
