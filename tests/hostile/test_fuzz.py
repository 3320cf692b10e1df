"""Property-based fuzzing of every entry point (issue 11, finding 14).

For anything a network can send: no 5xx; an MO is answered (200 with a reply)
or refused with a 4xx that names the field; a refused request writes nothing.
The default run tries a few hundred examples per entry point; `-m slow` tries
100,000 (tests/hostile/conftest.py). Outcomes are never asserted, so no test
here depends on today's date against the shipped catalog's window.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes, urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from app.gateways.smpp import pdus
from app.runtime import Runtime
from app.services.importing import SUBSCRIBER_COLUMNS, ImportFailed, import_subscribers
from app.store.models import InboundMessageRow, SubscriberRow
from tests.conftest import auth
from tests.hostile.helpers import count, deliveries, raw_client

pytestmark = pytest.mark.usefixtures("catalog")

KANNEL_TOKEN = "hostile-kannel-token"
QUICK = settings(
    max_examples=int(os.environ.get("SMSHALL_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LONG = settings(QUICK, max_examples=int(os.environ.get("SMSHALL_FUZZ_LONG_EXAMPLES", "100000")))
long_run = [pytest.mark.slow, pytest.mark.fuzz_long]

# -- what a network sends ----------------------------------------------------------

#: Text as phones and broken gateways send it: any code point, lone surrogates included.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
odd_digits = st.sampled_from(["²", "፩", "١٠٠٨٦", "０", "1_0", "9" * 40, "-1", " 1 ", "0x10"])
numbers = st.sampled_from(
    ["13800138000", "+86 138-0013-8000", "008613800138000", "12345", "", "١٣٨٠٠١٣٨٠٠٠"]
)
words = st.sampled_from(["CD", "0000", "CXYE", "IWJZS", "YC SJB", "WLYH", "GABX 张三", "Y", "QX"])
mo_text = st.one_of(
    any_text, odd_digits, words, st.builds(lambda w, t: f"{w} {t}", words, any_text)
)
times = st.one_of(
    st.none(),
    st.sampled_from(["9999-12-31T23:59:59+00:00", "0001-01-01", "yesterday", "2026-13-01"]),
    st.datetimes().map(lambda d: d.isoformat()),
    any_text,
)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mo_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """Half well-formed (so menus, lists and questions are reached), half broken."""
    if draw(st.booleans()):
        text = draw(st.one_of(words, odd_digits, odd_digits, mo_text))
        return {"from": "13800138000", "to": "10086", "text": text, "message_id": uuid.uuid4().hex}
    body: dict[str, Any] = {
        "from": draw(st.one_of(numbers, any_text)),
        "to": draw(st.one_of(st.just("10086"), st.just("13700137000"), odd_digits, any_text)),
        "text": draw(mo_text),
        "message_id": uuid.uuid4().hex,
    }
    if (when := draw(times)) is not None:
        body["received_at"] = when
    for key in draw(st.lists(st.sampled_from(list(body)), max_size=2)):
        body[key] = draw(json_value)  # a field of the wrong type, or gone
    if draw(st.booleans()):
        body.pop(draw(st.sampled_from(list(body))), None)
    if draw(st.integers(0, 9)) == 0:
        body[draw(any_text)] = draw(json_value)
    return body


def _encoded(body: dict[str, Any]) -> bytes:
    """JSON as a client may write it: lone surrogates escaped, not refused."""
    return json.dumps(body, ensure_ascii=True).encode()


# -- the checks --------------------------------------------------------------------


def _answered_or_refused(runtime: Runtime, response: Any, before: int, fields: set[str]) -> None:
    assert response.status_code < 500, response.text
    after = count(runtime, InboundMessageRow)
    if response.status_code == 200:
        assert after <= before + 1
        return
    assert after == before, "a refused request wrote something"
    assert response.status_code in (400, 401, 413, 422), response.text
    detail = response.json()["detail"]
    if isinstance(detail, list):
        named = {str(part) for problem in detail for part in problem["loc"]}
        assert named & (fields | {"body"}), detail
        assert len(response.content) < 4000
    else:
        assert detail.split(":")[0] in fields, detail


def check_json_mo(client: TestClient, runtime: Runtime, body: dict[str, Any]) -> None:
    before = count(runtime, InboundMessageRow)
    headers = {**auth(), "Content-Type": "application/json"}
    response = client.post("/v1/mo", content=_encoded(body), headers=headers)
    _answered_or_refused(runtime, response, before, {"from", "to", "text", "message_id",
                                                     "received_at", *map(str, body)})  # fmt: skip
    if response.status_code == 200:
        assert response.json()["replies"][0]["text"]


kannel_params = st.fixed_dictionaries(
    {},
    optional={
        "from": st.one_of(numbers.map(str.encode), st.binary(max_size=20)),
        "to": st.one_of(st.just(b"10086"), odd_digits.map(str.encode), st.binary(max_size=10)),
        "text": st.binary(max_size=120),
        "id": st.binary(max_size=140),
        "time": st.one_of(
            times.map(lambda t: (t or "").encode("utf-8", "replace")), st.binary(max_size=20)
        ),  # fmt: skip
        "coding": st.sampled_from([b"0", b"1", b"2", b"3", b"", b"\xd9\xa2", b"x"]),
        "charset": st.sampled_from(
            [
                b"UTF-8",
                b"UTF-16BE",
                b"rot13",
                b"hex",
                b"base64",
                b"idna",
                b"gbk",
                b"8-BIT",
                b"utf-7",
                b"\x00",
                b"latin1",
            ]
        ),  # fmt: skip
    },
)
KANNEL_FIELDS = {"from", "to", "text", "id", "time", "coding", "charset"}


def check_kannel(
    client: TestClient, runtime: Runtime, params: dict[str, bytes], post: bool
) -> None:
    before = count(runtime, InboundMessageRow)
    params = {**params, "id": params.get("id", uuid.uuid4().hex.encode())}
    body = params.pop("text", b"") if post else None
    query = "&".join(f"{k}={quote_from_bytes(v)}" for k, v in params.items())
    url = f"/v1/kannel/mo?token={KANNEL_TOKEN}&{query}"
    response = client.post(url, content=body) if post else client.get(url)
    _answered_or_refused(runtime, response, before, KANNEL_FIELDS)


def check_ussd(client: TestClient, runtime: Runtime, form: dict[str, str]) -> None:
    before = count(runtime, InboundMessageRow)
    form = {**form, "sessionId": form.get("sessionId") or uuid.uuid4().hex}
    # Encoded by hand: a lone surrogate goes out as the invalid bytes a broken client sends.
    body = urlencode(form, encoding="utf-8", errors="surrogatepass").encode("ascii")
    headers = {**auth(), "Content-Type": "application/x-www-form-urlencoded"}
    response = client.post("/v1/ussd", content=body, headers=headers)
    fields = {"sessionId", "serviceCode", "phoneNumber", "text", "networkCode"}
    _answered_or_refused(runtime, response, before, fields)
    if response.status_code == 200:
        assert response.text.startswith(("CON ", "END "))


ussd_forms = st.fixed_dictionaries(
    {"serviceCode": st.one_of(st.just("*10086#"), any_text),
     "phoneNumber": st.one_of(numbers, any_text)},
    optional={"text": st.one_of(st.lists(st.one_of(odd_digits, st.sampled_from(
        ["1", "2", "3", "0", "00", "99", "张三"])), max_size=6).map("*".join), any_text),
        "networkCode": any_text, "sessionId": any_text},
)  # fmt: skip


@st.composite
def deliver_sms(draw: st.DrawFn) -> Any:
    fields: dict[str, Any] = {
        "source_addr": draw(st.sampled_from(["13800138000", "8613800138000", "12345", "x"])),
        "destination_addr": draw(st.sampled_from(["10086", "13700137000", ""])),
        "data_coding": draw(st.sampled_from([0, 1, 3, 4, 8, 0x18, 0xF0, 0xFF])),
        "esm_class": draw(st.sampled_from([0, 0x40])),
    }
    body = draw(st.one_of(st.binary(max_size=254), mo_text.map(
        lambda t: t.encode("utf-16-be", "surrogatepass")[:254])))  # fmt: skip
    if draw(st.booleans()):
        fields["short_message"] = body
    else:
        fields["message_payload"] = body + draw(st.binary(max_size=400))
    frame = pdus.build("deliver_sm", draw(st.integers(1, 0x7FFFFFFF)), **fields)
    return pdus.parse(frame)


def check_smpp(runtime: Runtime, pdu: Any) -> None:
    [handled] = deliveries(runtime).handle_many([("main", pdu)])
    assert handled.status == pdus.ROK


csv_cell = st.one_of(
    any_text,
    odd_digits,
    st.sampled_from(
        ["sNaN", "1e30", "-0", "86.50", "2015-03-12", "9999-12-31", "gotone", "active", "true"]
    ),
)


def check_csv(runtime: Runtime, tmp: Path, rows: list[dict[str, str]], raw: bytes) -> None:
    path = tmp / f"{uuid.uuid4().hex}.csv"
    if raw:
        path.write_bytes(raw)
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(SUBSCRIBER_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
        path.write_bytes(out.getvalue().encode("utf-8", "surrogatepass"))
    before = count(runtime, SubscriberRow)
    try:
        import_subscribers(runtime.uow_factory, path)
    except ImportFailed as failed:
        assert all(re.match(r"^(line \d+(, column \S+)?|column \S+|\(stopped)", p)
                   for p in failed.problems), failed.problems  # fmt: skip
        assert count(runtime, SubscriberRow) == before
    path.unlink()


csv_rows = st.lists(
    st.fixed_dictionaries(
        {"msisdn": st.one_of(numbers, csv_cell), "brand": st.one_of(st.just("gotone"), csv_cell),
         "status": st.just("active"), "opened_on": st.one_of(st.just("2015-03-12"), csv_cell)},
        optional={c: csv_cell for c in SUBSCRIBER_COLUMNS[4:]},
    ),
    max_size=3,
)  # fmt: skip
csv_raw = st.one_of(st.just(b""), st.binary(max_size=300))


# -- the tests: quick by default, 100,000 examples under -m slow --------------------


@pytest.fixture
def fuzzed(runtime: Runtime, add_subscriber: Callable) -> tuple[Runtime, TestClient]:
    runtime.settings = runtime.settings.model_copy(update={"kannel_token": SecretStr(KANNEL_TOKEN)})
    add_subscriber("13800138000")
    return runtime, raw_client(runtime)


def _json(fuzzed: tuple[Runtime, TestClient], body: dict[str, Any]) -> None:
    runtime, client = fuzzed
    check_json_mo(client, runtime, body)


def _kannel(fuzzed: tuple[Runtime, TestClient], params: dict[str, bytes], post: bool) -> None:
    runtime, client = fuzzed
    check_kannel(client, runtime, params, post)


def _ussd(fuzzed: tuple[Runtime, TestClient], form: dict[str, str]) -> None:
    runtime, client = fuzzed
    check_ussd(client, runtime, form)


@QUICK
@given(bodies=st.lists(mo_bodies(), min_size=1, max_size=3))
def test_json_mo(fuzzed: tuple[Runtime, TestClient], bodies: list[dict[str, Any]]) -> None:
    for body in bodies:  # in a row: a digit may answer the menu the one before opened
        _json(fuzzed, body)


@QUICK
@given(params=kannel_params, post=st.booleans())
def test_kannel_mo(fuzzed: tuple[Runtime, TestClient], params: dict, post: bool) -> None:
    _kannel(fuzzed, params, post)


@QUICK
@given(form=ussd_forms)
def test_ussd(fuzzed: tuple[Runtime, TestClient], form: dict[str, str]) -> None:
    _ussd(fuzzed, form)


@QUICK
@given(pdu=deliver_sms())
def test_smpp_deliver_sm(fuzzed: tuple[Runtime, TestClient], pdu: Any) -> None:
    check_smpp(fuzzed[0], pdu)


@QUICK
@given(rows=csv_rows, raw=csv_raw)
def test_csv_rows(runtime: Runtime, tmp_path: Path, rows: list, raw: bytes) -> None:
    check_csv(runtime, tmp_path, rows, raw)


@pytest.mark.parametrize("entry", ["json", "kannel", "ussd", "smpp", "csv"])
@pytest.mark.slow
@pytest.mark.fuzz_long
def test_long_run(fuzzed: tuple[Runtime, TestClient], tmp_path: Path, entry: str) -> None:
    runtime = fuzzed[0]
    runs: dict[str, Callable[[], None]] = {
        "json": LONG(given(bodies=st.lists(mo_bodies(), min_size=1, max_size=3))(
            lambda bodies: [_json(fuzzed, body) for body in bodies] and None)),
        "kannel": LONG(given(params=kannel_params, post=st.booleans())(
            lambda params, post: _kannel(fuzzed, params, post))),
        "ussd": LONG(given(form=ussd_forms)(lambda form: _ussd(fuzzed, form))),
        "smpp": LONG(given(pdu=deliver_sms())(lambda pdu: check_smpp(runtime, pdu))),
        "csv": LONG(given(rows=csv_rows, raw=csv_raw)(
            lambda rows, raw: check_csv(runtime, tmp_path, rows, raw))),
    }  # fmt: skip
    runs[entry]()
