"""A small synchronous/asynchronous client for the control API (used by the CLI)."""

from __future__ import annotations

import os
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8700"
TOKEN_ENV = "GATEWAY_SIM_TOKEN"


def headers(token: str | None) -> dict[str, str]:
    token = token or os.environ.get(TOKEN_ENV)
    return {"Authorization": f"Bearer {token}"} if token else {}


class ControlError(RuntimeError):
    pass


def _check(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = response.text
        raise ControlError(f"HTTP {response.status_code}: {detail}")
    return response.json()


def send_and_wait(
    url: str,
    token: str | None,
    source: str,
    text: str,
    *,
    to: str = "10086",
    timeout: float = 10.0,
    linger: float = 0.5,
    mo_fields: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[dict]]:
    """Inject one MO and wait for the replies to that handset.

    Returns after the first MT plus ``linger`` seconds for follow-ups, or after
    ``timeout`` with whatever arrived (possibly nothing).
    """
    with httpx.Client(base_url=url, headers=headers(token), timeout=timeout + 5) as client:
        mo = _check(
            client.post(
                "/api/mo", json={"from": source, "to": to, "text": text, **(mo_fields or {})}
            )
        )
        got = _check(
            client.get("/api/mt", params={"to": source, "after": mo["mt_cursor"], "wait": timeout})
        )["mt"]
        if got and linger > 0:
            more = _check(
                client.get(
                    "/api/mt", params={"to": source, "after": got[-1]["seq"], "wait": linger}
                )
            )["mt"]
            got += more
        return mo, got


def ussd_dialogue(
    url: str,
    token: str | None,
    msisdn: str,
    code: str,
    inputs: list[str],
    *,
    timeout: float = 10.0,
) -> list[dict[str, Any]]:
    """Dial `code`, then answer each screen with the next input, as far as it goes.

    One entry per step sent (the `POST /api/ussd` answer, with `"sent"`); stops
    early when the dialogue ends or a screen does not come within `timeout`.
    """
    steps: list[dict[str, Any]] = []
    with httpx.Client(base_url=url, headers=headers(token), timeout=timeout + 5) as client:
        body: dict[str, Any] = {"msisdn": msisdn, "code": code, "wait": timeout}
        sent = code
        pending = list(inputs)
        while True:
            step = _check(client.post("/api/ussd", json=body))
            steps.append({**step, "sent": sent})
            if step["timed_out"] or not step["active"] or not pending:
                return steps
            sent = pending.pop(0)
            body = {"msisdn": msisdn, "input": sent, "wait": timeout}
