"""Every Kannel parameter is checked before anything is committed; a bad one
is a 400 naming it, never a 500 (issue 11, finding 7)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.runtime import Runtime
from app.store.models import InboundMessageRow, OutboundMessageRow
from tests.hostile.helpers import count
from tests.kannel.conftest import KANNEL_TOKEN

pytestmark = pytest.mark.usefixtures("catalog")

BASE = {"token": KANNEL_TOKEN, "from": "13800138000", "to": "10086", "id": "k-1",
        "time": "2026-11-22 02:00:00", "coding": "0", "charset": "UTF-8", "text": "CXYE"}  # fmt: skip


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime=runtime)
    yield TestClient(app, client=("127.0.0.1", 50000), raise_server_exceptions=False)


def get(client: TestClient, **params: str) -> object:
    query = "&".join(f"{k}={quote(v)}" for k, v in {**BASE, **params}.items())
    return client.get(f"/v1/kannel/mo?{query}")


@pytest.mark.parametrize(
    ("param", "value"),
    [("to", "١٠٠٨٦"), ("to", "¹⁰⁰⁸⁶"), ("charset", "rot13"), ("charset", "hex"),
     ("charset", "base64"), ("charset", "zlib"), ("charset", "no-such"), ("coding", "٢"),
     ("coding", "1_0"), ("time", "²"), ("time", "yesterday"), ("from", "x" * 5000)],
)  # fmt: skip
def test_a_bad_parameter_is_400_naming_it_and_nothing_is_written(
    client: TestClient, runtime: Runtime, add_subscriber: Callable, param: str, value: str
) -> None:
    add_subscriber("13800138000")
    response = get(client, **{param: value})
    assert response.status_code == 400, response.text  # type: ignore[attr-defined]
    detail = response.json()["detail"]  # type: ignore[attr-defined]
    assert detail.startswith(f"{param}:") and len(detail) < 200
    assert count(runtime, InboundMessageRow) == 0 and count(runtime, OutboundMessageRow) == 0


@pytest.mark.parametrize("charset", ["idna", "punycode", "undefined", "a\x00b"])
def test_a_charset_that_cannot_decode_garbage_is_400(client: TestClient, charset: str) -> None:
    response = get(client, charset=charset, text="\u00e9\u00e9")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response.json()["detail"].startswith("charset:")  # type: ignore[attr-defined]


@pytest.mark.parametrize("reply", ["²", "١", "9" * 40, "-1"])
def test_dlr_with_a_bad_reply_id_is_400(client: TestClient, reply: str) -> None:
    params = f"token={KANNEL_TOKEN}&reply={quote(reply)}&type=1"
    response = client.get(f"/v1/kannel/dlr?{params}")
    assert response.status_code == 400 and response.json()["detail"].startswith("reply:")
