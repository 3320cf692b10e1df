"""The Kannel sender: claims queued `kannel` replies and hands them to Kannel's sendsms.

Runs when `kannel_reply_mode = sendsms`. Claims, marks and retries are the
outbox's own (app/services/outbox.py); this module only speaks sendsms. A
reply is `sent` only on Kannel's 202 ("0: Accepted" or "3: Queued"); a 503, a
5xx, a refused login (fixable config) or a lost connection puts it back with
backoff; any other 4xx will never succeed and fails it. sendsms gives no
message id, so each call carries a `dlr-url` naming the outbox row, and the
row's receipts are matched by that (`receipt_key`).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

import httpx

from app.domain.channels import Channel
from app.domain.sms_coding import fits_gsm7
from app.domain.text import mask_msisdn
from app.gateways.http.kannel_wire import receipt_key
from app.gateways.sending import ReplySender
from app.metrics import replies as reply_metrics
from app.services.outbox import (
    ClaimedReply,
    SentPart,
    claim_replies,
    mark_failed,
    mark_sent,
    notice_rules,
    still_to_send,
)
from app.settings import Settings
from app.store.unit_of_work import UnitOfWork

log = logging.getLogger("smshall.kannel")

CHANNEL = Channel.KANNEL
ACCEPTED = 202
#: Kannel's "Authorization failed": wrong sendsms-user, fixed by the operator, so retried.
RETRIED_4XX = {401, 403, 408, 429}


def dlr_url(settings: Settings, reply_id: int) -> str:
    """The URL Kannel calls for each report: our row id and token, then Kannel's escapes."""
    ours = {"reply": str(reply_id)}
    if settings.kannel_token is not None and settings.kannel_token.get_secret_value():
        ours["token"] = settings.kannel_token.get_secret_value()
    base = settings.kannel_dlr_url
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}{urlencode(ours)}&type=%d&answer=%A&smsc_id=%F"


def sendsms_params(settings: Settings, reply: ClaimedReply) -> dict[str, str]:
    params = {
        "username": settings.kannel_sendsms_username,
        "password": settings.kannel_sendsms_password.get_secret_value(),
        "from": reply.sender,
        "to": reply.msisdn,
        "text": reply.text,
        "charset": "UTF-8",
    }
    if not fits_gsm7(reply.text):
        params["coding"] = "2"  # UCS-2; Kannel recodes from the UTF-8 we send
    if settings.kannel_smsc:
        params["smsc"] = settings.kannel_smsc
    if settings.kannel_dlr_url:
        params["dlr-mask"] = str(settings.kannel_dlr_mask)
        params["dlr-url"] = dlr_url(settings, reply.id)
    return params


class KannelSender(ReplySender):
    channel = CHANNEL
    thread_name = "kannel-sender"

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        settings: Settings,
        client: httpx.Client | None = None,
        worker: str | None = None,
    ) -> None:
        super().__init__(uow_factory, settings)
        self.client = client or httpx.Client(timeout=settings.kannel_sendsms_timeout)
        self.worker = (
            worker or f"kannel:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        )
        #: Since when (monotonic) sendsms has taken no reply: unreachable, 5xx or a
        #: refused login, every reply retried; None while Kannel answers.
        self.failing_since: float | None = None
        self.failing_why = ""

    def problem(self, grace: float) -> str | None:
        """Why replies cannot leave, once sendsms has failed for `grace` seconds
        (`/health`): a retried reply gives up within minutes, before its age in
        the outbox would tell."""
        if self.failing_since is None:
            return None
        failing = time.monotonic() - self.failing_since
        if failing < grace:
            return None
        return f"Kannel sendsms has taken no reply for {failing:.0f} s ({self.failing_why})"

    def _answered(self) -> None:
        self.failing_since = None

    def _failing(self, why: str) -> None:
        if self.failing_since is None:
            self.failing_since = time.monotonic()
        self.failing_why = why

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        self.client.close()

    def claim_and_send(self) -> int:
        return self.send_due()

    def send_due(self) -> int:
        """Claim one batch and send it; the number claimed."""
        lease = self.settings.outbox_claim_lease
        replies = claim_replies(
            self.uow_factory,
            CHANNEL,
            self.worker,
            self.settings.outbox_batch_size,
            lease,
            notice_rules(self.settings),
        )
        # Each call may take the whole timeout: start none that could outlive the
        # lease, or another sender could claim that row again and send it twice.
        last_start = time.monotonic() + lease - self.settings.kannel_sendsms_timeout
        # An opt-out or cancel may have committed since the claim: look once more.
        for reply in still_to_send(self.uow_factory, replies):
            if self._stop.is_set() or time.monotonic() > last_start:
                break  # the lease brings the rest back
            self.send(reply)
        return len(replies)

    def send(self, reply: ClaimedReply) -> None:
        try:
            response = self.client.get(
                self.settings.kannel_sendsms_url, params=sendsms_params(self.settings, reply)
            )
        except httpx.HTTPError as error:
            self._failing(f"unreachable: {type(error).__name__}")
            self._retry(reply, f"sendsms unreachable: {error!r}", None)
            return
        except (httpx.InvalidURL, ValueError) as error:
            # This reply can never become a request (a text past httpx's 64 KiB URL
            # limit, say): fail it alone. Left to the lease it would be claimed again
            # every lease, forever, and hold up the rest of its batch each time.
            self.counters["failed"] += 1
            log.warning("reply %d cannot be sent through sendsms: %s", reply.id, error)
            mark_failed(self.uow_factory, reply.id, f"sendsms: {str(error)[:80]}", None)
            return
        except (
            Exception
        ) as error:  # anything else: this row retries with backoff, the batch goes on
            self._failing(f"call failed: {type(error).__name__}")
            self._retry(reply, f"sendsms call failed: {type(error).__name__}", None)
            return
        answer = response.text.strip()[:120]
        if response.status_code == ACCEPTED or 400 <= response.status_code < 500:
            self._answered()  # a 4xx refuses this reply, not every one ...
        if response.status_code in RETRIED_4XX or response.status_code >= 500:
            self._failing(f"HTTP {response.status_code}")  # ... but these refuse them all
        if response.status_code == ACCEPTED:
            mark_sent(self.uow_factory, reply.id, [SentPart(CHANNEL, receipt_key(reply.id))])
            self.counters["sent"] += 1
            reply_metrics.submitted(reply)
            log.info("reply %d to %s: sendsms %r", reply.id, mask_msisdn(reply.msisdn), answer)
        elif 400 <= response.status_code < 500 and response.status_code not in RETRIED_4XX:
            self.counters["failed"] += 1
            log.warning("reply %d to %s refused: %r", reply.id, mask_msisdn(reply.msisdn), answer)
            mark_failed(self.uow_factory, reply.id, f"sendsms: {answer}", response.status_code)
        else:
            self._retry(reply, f"sendsms {response.status_code}: {answer}", response.status_code)
