"""HTTP control API (FastAPI) for testers, the CLI and the handset page.

Handlers run on the simulator's event loop, so they touch SMSC state directly.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from gateway_sim import scenario as scenario_mod
from gateway_sim.segments import SplitMethod
from gateway_sim.ussd import NoDialogue

if TYPE_CHECKING:
    from gateway_sim.simulator import Simulator

STATIC_DIR = Path(__file__).parent / "static"
MAX_WAIT = 60.0
MSISDN_PATTERN = r"^\+?[0-9]{3,20}$"
USSD_CODE_PATTERN = r"^\*[0-9*]{1,18}#$"


class UssdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: int = Field(1, ge=0, le=255, description="ussd_service_op; 1 = PSSR indication")
    session_info: int | None = Field(None, ge=0, le=0xFFFF, description="raw its_session_info")
    session: int = Field(0, ge=0, le=255)
    seq: int = Field(0, ge=0, le=127)
    end: bool = False


class MoIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str = Field(alias="from", pattern=MSISDN_PATTERN)
    to: str = Field("10086", pattern=r"^[0-9*#+]{1,21}$")
    text: str = Field(max_length=10_000)
    data_coding: int | None = Field(None, description="0, 1, 3 or 8; default: GSM-7 if it fits")
    split: SplitMethod = SplitMethod.UDH8
    parts_order: list[int] | None = Field(None, max_length=255)
    ussd: UssdIn | None = None
    #: Which link the handset's MO reaches the service by: an SMPP bind or a CMPP link.
    protocol: Literal["smpp", "cmpp"] = "smpp"
    msg_fmt: int | None = Field(None, description="CMPP: 0 ASCII, 8 UCS-2, 15 GBK")
    repeat: int = Field(1, ge=1, le=5, description="CMPP: send each DELIVER this many times")


class CmppFaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refuse_status: int | None = Field(None, ge=1, le=255)
    refuse_count: int | None = Field(None, ge=0)
    flow_control_count: int | None = Field(None, ge=0)
    ignore_active_test: bool | None = None
    active_test_every: float | None = Field(None, ge=0)
    report_delay: float | None = Field(None, ge=0)
    reports: bool | None = None


class RawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hex: str = Field(pattern=r"^[0-9a-fA-F]*$", max_length=20_000)


class UssdStepIn(BaseModel):
    """Dial a code (a new dialogue) or answer the open dialogue's screen."""

    model_config = ConfigDict(extra="forbid")
    msisdn: str = Field(pattern=MSISDN_PATTERN)
    code: str | None = Field(None, pattern=USSD_CODE_PATTERN, description="e.g. *10086#")
    input: str | None = Field(None, min_length=1, max_length=160, description="the choice")
    wait: float = Field(10.0, ge=0.0, le=MAX_WAIT, description="seconds to wait for the screen")


def build_app(sim: Simulator, token: str | None) -> FastAPI:
    app = FastAPI(title="gateway-sim control API", version="1")

    @app.middleware("http")
    async def require_token(request: Request, call_next: Any) -> Any:
        if token and request.url.path.startswith("/api"):
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return JSONResponse({"detail": "missing or wrong bearer token"}, status_code=401)
        return await call_next(request)

    @app.post("/api/mo")
    async def post_mo(body: MoIn) -> dict[str, Any]:
        try:
            if body.protocol == "cmpp":
                record = sim.ismg.inject_mo(
                    body.source, body.to, body.text, body.msg_fmt, body.repeat, body.parts_order
                )
            else:
                record = sim.smsc.inject_mo(
                    body.source,
                    body.to,
                    body.text,
                    body.data_coding,
                    body.split,
                    body.parts_order,
                    body.ussd.model_dump() if body.ussd else None,
                )
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        answer = {
            "id": record.id,
            "ids": [record.id],
            "segments": record.segments,
            "data_coding": record.data_coding,
            "mt_cursor": record.seq,
            "t": record.t,
            "queued": sum(1 for a in record.acks if a is None),
        }
        if body.protocol == "cmpp":  # the Msg_Id of each part's DELIVER
            answer["msg_ids"] = [str(i) for i in sim.ismg.mo_deliveries[record.id]]
        return answer

    @app.get("/api/mt")
    async def get_mt(
        to: str | None = None,
        after: int = Query(0, ge=0, description="only MT with seq greater than this"),
        wait: float = Query(0.0, ge=0.0, le=MAX_WAIT, description="long-poll seconds"),
        limit: int = Query(500, ge=1, le=10_000),
    ) -> dict[str, Any]:
        if wait > 0:
            found = await sim.traffic.wait_mt(after, to, wait)
        else:
            found = sim.traffic.mt_after(after, to)
        cursor = sim.traffic.cursor
        if len(found) > limit:
            # Oldest first; the cursor stops at the last one returned so the rest come next time.
            found = found[:limit]
            cursor = found[-1].seq
        return {"cursor": cursor, "mt": [m.view() for m in found]}

    @app.get("/api/mo")
    async def get_mo(limit: int = Query(500, ge=1, le=10_000)) -> dict[str, Any]:
        return {"mo": [m.view() for m in sim.traffic.mo[-limit:]]}

    @app.get("/api/receipts")
    async def get_receipts(limit: int = Query(500, ge=1, le=10_000)) -> dict[str, Any]:
        return {"receipts": [r.view() for r in sim.traffic.receipts[-limit:]]}

    @app.get("/api/pdus")
    async def get_pdus(
        limit: int = Query(200, ge=1, le=2000), bind: str | None = None
    ) -> dict[str, Any]:
        """Last PDUs in both directions, hex-encoded (a wire capture for debugging)."""
        return {"pdus": sim.smsc.capture.recent(limit, bind)}

    @app.get("/api/handsets")
    async def get_handsets() -> dict[str, Any]:
        return {"handsets": sim.traffic.handsets()}

    @app.get("/api/handsets/{msisdn}/conversation")
    async def conversation(msisdn: str) -> dict[str, Any]:
        return {
            "msisdn": msisdn,
            "cursor": sim.traffic.cursor,
            "messages": sim.traffic.conversation(msisdn),
        }

    @app.get("/api/binds")
    async def binds() -> dict[str, Any]:
        return {"binds": sim.smsc.binds(), "closed": list(sim.smsc.closed_sessions)}

    @app.post("/api/binds/{bind_id}/unbind")
    async def unbind(bind_id: str) -> dict[str, Any]:
        """Start an SMSC-initiated unbind; the session closes on unbind_resp or after 5 s."""
        session = _session(bind_id)
        if session.state != "bound":
            raise HTTPException(409, f"{bind_id} is {session.state}, not bound")
        sim.smsc.spawn(session.unbind())
        await asyncio.sleep(0)  # let unbind go out so the state below is "unbinding"
        return {"id": bind_id, "state": session.state}

    @app.post("/api/binds/{bind_id}/drop")
    async def drop(bind_id: str) -> dict[str, Any]:
        session = _session(bind_id)
        session.close()
        return {"id": bind_id, "state": session.state}

    def _session(bind_id: str) -> Any:
        session = sim.smsc.session(bind_id)
        if session is None:
            raise HTTPException(404, f"no open bind {bind_id}")
        return session

    @app.get("/api/cmpp")
    async def cmpp_view() -> dict[str, Any]:
        return sim.ismg.view()

    @app.patch("/api/cmpp/faults")
    async def cmpp_faults(body: CmppFaultsIn) -> dict[str, Any]:
        for name, value in body.model_dump(exclude_none=True).items():
            setattr(sim.ismg.faults, name, value)
        return sim.ismg.view()

    @app.post("/api/cmpp/links/{link_id}/drop")
    async def cmpp_drop(link_id: str) -> dict[str, Any]:
        link = sim.ismg.links.get(link_id)
        if link is None:
            raise HTTPException(404, f"no open CMPP link {link_id}")
        link.close()
        return link.view()

    @app.post("/api/cmpp/links/{link_id}/terminate")
    async def cmpp_terminate(link_id: str) -> dict[str, Any]:
        if link_id not in sim.ismg.links:
            raise HTTPException(404, f"no open CMPP link {link_id}")
        sim.ismg.terminate(link_id)
        return sim.ismg.links[link_id].view()

    @app.post("/api/cmpp/links/{link_id}/raw")
    async def cmpp_raw(link_id: str, body: RawIn) -> dict[str, Any]:
        """Write these bytes on the link as they are (a malformed PDU, say)."""
        if link_id not in sim.ismg.links:
            raise HTTPException(404, f"no open CMPP link {link_id}")
        sim.ismg.raw(link_id, bytes.fromhex(body.hex))
        return {"written": len(body.hex) // 2}

    @app.get("/api/stats")
    async def stats() -> dict[str, Any]:
        return sim.stats()

    @app.post("/api/reset")
    async def reset() -> dict[str, Any]:
        sim.reset()
        return {"reset": True}

    @app.get("/api/scenario")
    async def get_scenario() -> dict[str, Any]:
        return sim.scenario.to_dict()

    @app.put("/api/scenario")
    async def put_scenario(body: dict[str, Any]) -> dict[str, Any]:
        try:
            new = scenario_mod.from_dict(body)
        except scenario_mod.ScenarioError as exc:
            raise HTTPException(422, str(exc)) from exc
        sim.apply_scenario(new)
        return new.to_dict()

    @app.patch("/api/scenario")
    async def patch_scenario(body: dict[str, Any]) -> dict[str, Any]:
        """Merge into the running scenario (faults/receipts merged key by key)."""
        merged = sim.scenario.to_dict()
        for key, value in body.items():
            if key in ("faults", "receipts") and isinstance(value, dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        return await put_scenario(merged)

    @app.post("/api/ussd")
    async def ussd_step(body: UssdStepIn) -> dict[str, Any]:
        """The USSDC side of one step: deliver_sm op 1 (dial) or 18 (answer), then
        wait for the ESME's submit_sm op 2 (continue) or 17 (end)."""
        if (body.code is None) == (body.input is None):
            raise HTTPException(422, "give either code (dial) or input (answer)")
        try:
            if body.code is not None:
                sim.ussd.dial(body.msisdn, body.code)
            else:
                sim.ussd.answer(body.msisdn, body.input or "")
        except NoDialogue as exc:
            raise HTTPException(409, str(exc)) from exc
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        dialogue = await sim.ussd.wait(body.msisdn, body.wait)
        assert dialogue is not None
        return {**dialogue.view(), "timed_out": dialogue.waiting}

    @app.get("/api/ussd/{msisdn}")
    async def ussd_screen(msisdn: str) -> dict[str, Any]:
        """The handset's current USSD dialogue: its last screen, open or ended."""
        dialogue = sim.ussd.current(msisdn)
        if dialogue is None:
            raise HTTPException(404, f"{msisdn} has not dialled a USSD code")
        return dialogue.view()

    @app.delete("/api/ussd/{msisdn}")
    async def ussd_release(msisdn: str) -> dict[str, Any]:
        """The handset hangs up; the ESME is not told (it times the dialogue out)."""
        dialogue = sim.ussd.release(msisdn)
        if dialogue is None:
            raise HTTPException(404, f"{msisdn} has not dialled a USSD code")
        return dialogue.view()

    @app.get("/api/health")
    async def health() -> dict[str, Any]:
        return {"ok": True, "smpp_port": sim.smpp_port, "cmpp_port": sim.cmpp_port,
                "time": time.time()}  # fmt: skip

    @app.get("/")
    async def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
