"""A bounded wire capture of recent PDUs, both directions, for testers to inspect."""

from __future__ import annotations

import struct
import time
from collections import deque
from typing import Any

from gateway_sim.codec import command_name

CAPTURE_SIZE = 2000


class PduCapture:
    def __init__(self, size: int = CAPTURE_SIZE) -> None:
        self._items: deque[dict[str, Any]] = deque(maxlen=size)

    def record(self, bind_id: str, direction: str, raw: bytes) -> None:
        command_id, status, seq = struct.unpack(">LLL", raw[4:16]) if len(raw) >= 16 else (0, 0, 0)
        self._items.append(
            {
                "t": time.time(),
                "bind": bind_id,
                "dir": direction,
                "command": command_name(command_id) or f"0x{command_id:08x}",
                "status": status,
                "seq": seq,
                "hex": raw.hex(),
            }
        )

    def recent(self, limit: int, bind_id: str | None = None) -> list[dict[str, Any]]:
        items = [i for i in self._items if bind_id is None or i["bind"] == bind_id]
        return items[-limit:]

    def clear(self) -> None:
        self._items.clear()
