"""SMPP binds: state, window in use, throttles and rebinds read from the binds when
scraped (no call on the submit path); submit errors counted as the sender sees them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.gateways.smpp.esme import BindState

SMPP_SUBMIT_ERRORS = Counter(
    "smshall_smpp_submit_errors",
    "submit_sm answered with a non-zero command_status, by bind and status",
    ["bind", "command_status"],
)
CMPP_SUBMIT_ERRORS = Counter(
    "smshall_cmpp_submit_errors",
    "SUBMIT answered with a non-zero Result, by link and result",
    ["link", "result"],
)
#: The states a bind reports; one series each.
BIND_STATES = tuple(BindState)


def submit_refused(channel: str, link: str, status: int) -> None:
    """A submit's response carried a non-zero status (throttling included)."""
    if channel == "smpp":
        SMPP_SUBMIT_ERRORS.labels(link, f"0x{status:08x}").inc()
    else:
        CMPP_SUBMIT_ERRORS.labels(link, str(status)).inc()


class SmppBinds(Collector):
    """Each SMPP connection of this process, as `/v1/smpp/binds` shows it."""

    def __init__(self, service: Callable[[], Any]) -> None:
        self.service = service  # the app's `SmppService`, or None without binds

    def collect(self) -> Iterator[Metric]:
        state = GaugeMetricFamily(
            "smshall_smpp_bind_state", "1 for the state each bind is in", labels=["bind", "state"]
        )
        window = GaugeMetricFamily(
            "smshall_smpp_window_in_use", "submit_sm awaiting their response", labels=["bind"]
        )
        size = GaugeMetricFamily("smshall_smpp_window_size", "The bind's window", labels=["bind"])
        throttles = CounterMetricFamily(
            "smshall_smpp_throttles",
            "submit_sm answered ESME_RTHROTTLED or ESME_RMSGQFUL (the bind paused)",
            labels=["bind"],
        )
        rebinds = CounterMetricFamily(
            "smshall_smpp_rebinds", "Binds after the first one of this process", labels=["bind"]
        )
        service = self.service()
        for connection in service.gateway.connections if service is not None else ():
            view = connection.view()
            name = view["name"]
            for known in BIND_STATES:
                state.add_metric([name, known], 1.0 if view["state"] == known else 0.0)
            window.add_metric([name], view["outstanding"])
            size.add_metric([name], view["window"])
            throttles.add_metric([name], view["counters"].get("submit_throttled", 0))
            rebinds.add_metric([name], max(0, view["counters"].get("binds", 0) - 1))
        yield from (state, window, size, throttles, rebinds)
