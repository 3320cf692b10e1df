"""What went over the air: MO, MT and receipt records, counters and waiting for MT.

Everything here is touched from the simulator's event loop only.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from typing import Any

RATE_WINDOW = 10.0  # seconds over which msg/s is reported


@dataclass
class MessageRecord:
    """What MO and MT records share: one logical message, however many parts."""

    id: str
    seq: int  # position in the traffic log, the cursor of /api/mt
    t: float
    source: str
    destination: str
    text: str
    data_coding: int
    segments: int


@dataclass
class MoRecord(MessageRecord):
    split: str
    ussd: dict[str, Any] | None = None
    # deliver_sm_resp status per part; None until the ESME answers.
    acks: list[int | None] = field(default_factory=list)
    bind_ids: list[str] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        out = asdict(self)
        out["direction"] = "mo"
        out["from"] = out.pop("source")
        out["to"] = out.pop("destination")
        out["acked"] = bool(self.acks) and all(a == 0 for a in self.acks)
        return out


@dataclass
class MtRecord(MessageRecord):
    message_ids: list[str]
    states: list[str]  # per part: ENROUTE until its outcome is decided and due
    service_type: str = ""
    esm_class: int = 0
    registered_delivery: int = 0
    concat: str = "none"  # udh8 / udh16 / sar / payload / none
    ussd: dict[str, Any] | None = None
    bind_id: str = ""
    complete: bool = True

    @property
    def state(self) -> str:
        """One state for the logical message: the worst part wins."""
        if not self.complete:
            return "INCOMPLETE"
        for bad in ("REJECTD", "UNDELIV", "EXPIRED", "DELETED", "UNKNOWN"):
            if bad in self.states:
                return bad
        if all(s == "DELIVRD" for s in self.states):
            return "DELIVRD"
        return "ENROUTE"

    def view(self) -> dict[str, Any]:
        out = asdict(self)
        out["direction"] = "mt"
        out["from"] = out.pop("source")
        out["to"] = out.pop("destination")
        out["state"] = self.state
        return out


@dataclass
class ReceiptRecord:
    message_id: str
    mt_id: str
    destination: str
    stat: str
    err: int
    t: float
    sent: bool = False
    bind_id: str = ""
    before_resp: bool = False
    ack: int | None = None

    def view(self) -> dict[str, Any]:
        out = asdict(self)
        out["to"] = out.pop("destination")
        return out


class RateMeter:
    def __init__(self) -> None:
        self.total = 0
        self._recent: deque[float] = deque()

    def mark(self, now: float, n: int = 1) -> None:
        self.total += n
        for _ in range(n):
            self._recent.append(now)

    def per_second(self, now: float) -> float:
        while self._recent and now - self._recent[0] > RATE_WINDOW:
            self._recent.popleft()
        return round(len(self._recent) / RATE_WINDOW, 3)


class TrafficLog:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.started = time.time()
        self._seq = 0
        self._mo_n = 0
        self._mt_n = 0
        self.mo: list[MoRecord] = []
        self.mt: list[MtRecord] = []
        self.receipts: list[ReceiptRecord] = []
        self.mt_by_message_id: dict[str, MtRecord] = {}
        self.mt_by_destination: dict[str, list[MtRecord]] = {}
        self.mo_meter = RateMeter()
        self.mt_meter = RateMeter()
        self.mo_parts = 0
        self.mt_parts = 0
        self.submit_statuses: Counter[str] = Counter()
        self.generic_nacks = 0
        # Waiters for one handset sleep on its own event, so an MT wakes only them.
        self._mt_arrived: dict[str | None, asyncio.Event] = {}

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    @property
    def cursor(self) -> int:
        return self._seq

    def new_mo_id(self) -> str:
        self._mo_n += 1
        return f"mo-{self._mo_n}"

    def new_mt_id(self) -> str:
        self._mt_n += 1
        return f"mt-{self._mt_n}"

    def add_mo(self, record: MoRecord) -> None:
        self.mo.append(record)
        self.mo_meter.mark(record.t)
        self.mo_parts += record.segments

    def add_mt(self, record: MtRecord) -> None:
        self.mt.append(record)
        for mid in record.message_ids:
            self.mt_by_message_id[mid] = record
        self.mt_by_destination.setdefault(record.destination, []).append(record)
        self.mt_meter.mark(record.t)
        self.mt_parts += record.segments
        for key in (record.destination, None):
            event = self._mt_arrived.pop(key, None)
            if event is not None:
                event.set()

    def mt_after(self, after: int, destination: str | None) -> list[MtRecord]:
        """MT with seq > after, oldest first; scans back from the newest only."""
        pool = self.mt if destination is None else self.mt_by_destination.get(destination, [])
        found: list[MtRecord] = []
        for record in reversed(pool):
            if record.seq <= after:
                break
            if record.complete:
                found.append(record)
        found.reverse()
        return found

    async def wait_mt(self, after: int, destination: str | None, timeout: float) -> list[MtRecord]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.mt_after(after, destination)
            remaining = deadline - time.monotonic()
            if found or remaining <= 0:
                return found
            event = self._mt_arrived.setdefault(destination, asyncio.Event())
            try:
                await asyncio.wait_for(event.wait(), timeout=remaining)
            except TimeoutError:
                return self.mt_after(after, destination)

    def conversation(self, msisdn: str) -> list[dict[str, Any]]:
        items: list[tuple[int, dict[str, Any]]] = []
        items += [(m.seq, m.view()) for m in self.mo if m.source == msisdn]
        items += [(m.seq, m.view()) for m in self.mt if m.destination == msisdn]
        return [view for _, view in sorted(items, key=lambda x: x[0])]

    def handsets(self) -> list[str]:
        seen: dict[str, None] = dict.fromkeys(m.source for m in self.mo)
        seen.update(dict.fromkeys(m.destination for m in self.mt))
        return list(seen)
