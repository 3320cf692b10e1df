"""Every process's binds in any process's `GET /v1/links`, over real sockets: two
service instances each hold a bind to the SMSC under their own process name, a
third holds none (an HTTP-only worker) and shows both; a bind that drops is seen
dropping there, and a process that stops takes its bind's row away."""

from __future__ import annotations

from contextlib import ExitStack

from fastapi.testclient import TestClient

from app.main import create_app
from app.runtime import Runtime
from tests.conftest import ADMIN_TOKEN
from tests.smpp.fake_smsc import FakeSmsc
from tests.smpp.test_gateway import bind_for, smpp_runtime
from tests.support.polling import eventually

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
EVERY = 0.1  # seconds between reports


def links_seen(client: TestClient) -> dict[tuple[str, str], str]:
    body = client.get("/v1/links", headers=ADMIN).json()
    return {(link["process"], link["name"]): link["state"] for link in body["links"]}


def test_a_process_without_binds_shows_every_process_binds(
    runtime: Runtime, smsc: FakeSmsc
) -> None:
    def holding(name: str, process: str) -> TestClient:
        # A dropped bind waits 3 s before binding again: long enough to be seen waiting.
        bind = bind_for(smsc, name=name, reconnect_base=3.0, reconnect_max=3.0)
        settings = dict(process_name=process, link_status_interval=EVERY)
        rt = smpp_runtime(runtime, smsc, smpp_binds=[bind], **settings)
        return TestClient(create_app(runtime=rt))

    web_settings = dict(process_name="web", link_status_interval=EVERY)
    web_runtime = Runtime(
        runtime.settings.model_copy(update=web_settings), runtime.engine, runtime.sessions
    )
    with ExitStack() as stack:
        web = stack.enter_context(TestClient(create_app(runtime=web_runtime)))
        alpha = holding("alpha", "proc-a").__enter__()
        try:
            stack.enter_context(holding("beta", "proc-b"))
            both = {("proc-a", "alpha"): "bound", ("proc-b", "beta"): "bound"}
            eventually(lambda: links_seen(web) == both, "both binds bound, seen from web")
            answer = web.get("/v1/links", headers=ADMIN).json()
            assert answer["process"] == "web" and answer["stale_after_seconds"] == 3 * EVERY
            assert all(not link["stale"] for link in answer["links"])
            assert {link["view"]["system_id"] for link in answer["links"]} == {"smshall"}
            # Each process's own view still lists only its own binds.
            own = alpha.get("/v1/smpp/binds", headers=ADMIN).json()["binds"]
            assert [b["name"] for b in own] == ["alpha"]
            assert web.get("/v1/smpp/binds", headers=ADMIN).json()["binds"] == []

            # The SMSC drops every bind: both processes say so, seen from web.
            for connection in list(smsc.links):
                connection.kill()
            waiting = {key: "waiting_to_rebind" for key in both}
            eventually(lambda: links_seen(web) == waiting, "the drop reported")
        finally:
            alpha.__exit__(None, None, None)
        # proc-a stopped: its row is gone at once; proc-b's stays.
        assert [p for p, _ in links_seen(web)] == ["proc-b"]
