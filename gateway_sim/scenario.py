"""Run configuration: accounts, receipt rules and faults, from CLI flags or a YAML file.

A scenario document looks like ``gateway_sim/scenarios/example.yaml``. Unknown
keys are rejected so that a typo in a test scenario fails loudly.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

STATS = ("DELIVRD", "UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN", "ACCEPTD", "ENROUTE")
MESSAGE_STATE = {
    "ENROUTE": 1,
    "DELIVRD": 2,
    "EXPIRED": 3,
    "DELETED": 4,
    "UNDELIV": 5,
    "ACCEPTD": 6,
    "UNKNOWN": 7,
    "REJECTD": 8,
}


class ScenarioError(ValueError):
    pass


@dataclass
class OutcomeRule:
    """Deterministic outcome: destinations matching ``match`` (regex) get ``stat``."""

    match: str
    stat: str = "UNDELIV"
    err: int = 1
    delay: float | None = None

    def __post_init__(self) -> None:
        if self.stat not in STATS:
            raise ScenarioError(f"stat {self.stat!r} is not one of {STATS}")
        try:
            re.compile(self.match)
        except re.error as exc:
            raise ScenarioError(f"bad regex {self.match!r}: {exc}") from exc


@dataclass
class ReceiptConfig:
    delay: float = 0.2  # seconds from submit to receipt
    # Percentages by stat for destinations no rule matches; default all delivered.
    mix: dict[str, float] = field(default_factory=lambda: {"DELIVRD": 100.0})
    rules: list[OutcomeRule] = field(default_factory=list)
    # "same" keeps the submit_sm_resp format; hex/dec mimic SMSCs that mix them
    # (what Kannel's msg-id-type exists for).
    id_format: str = "same"

    def __post_init__(self) -> None:
        for stat in self.mix:
            if stat not in STATS:
                raise ScenarioError(f"mix stat {stat!r} is not one of {STATS}")
        if self.mix and sum(self.mix.values()) <= 0:
            raise ScenarioError("receipt mix percentages must add up to more than 0")
        if self.id_format not in ("same", "hex", "dec"):
            raise ScenarioError("receipts.id_format must be same, hex or dec")
        self.rules = [r if isinstance(r, OutcomeRule) else OutcomeRule(**r) for r in self.rules]


@dataclass
class FaultConfig:
    throttle_tps: float = 0.0  # 0 = unlimited; above it submit_sm gets ESME_RTHROTTLED
    submit_error_rate: float = 0.0  # share of submit_sm answered with submit_error_status
    submit_error_status: int = 0x08
    enquire_link_resp_delay: float = 0.0
    enquire_link_resp_drop: float = 0.0  # share of enquire_link left unanswered (1 = never)
    drop_connections_every: float = 0.0  # close every connection every N seconds
    refuse_binds_for: float = 0.0  # ESME_RBINDFAIL for N seconds after these faults apply
    delayed_resp_rate: float = 0.0  # share of submit_sm_resp held back
    delayed_resp_seconds: float = 2.0
    receipt_before_resp: bool = False

    def __post_init__(self) -> None:
        for name in ("submit_error_rate", "enquire_link_resp_drop", "delayed_resp_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ScenarioError(f"faults.{name} must be between 0 and 1, got {value}")
        for name in (
            "throttle_tps",
            "enquire_link_resp_delay",
            "drop_connections_every",
            "refuse_binds_for",
            "delayed_resp_seconds",
        ):
            if getattr(self, name) < 0:
                raise ScenarioError(f"faults.{name} must not be negative")
        if not 0 < self.submit_error_status <= 0xFFFFFFFF:
            raise ScenarioError("faults.submit_error_status must be a non-zero SMPP status")


@dataclass
class Account:
    system_id: str
    password: str


@dataclass
class TrafficItem:
    """One line of a load-test traffic mix."""

    text: str
    weight: float = 1.0
    to: str = "10086"


@dataclass
class Scenario:
    accounts: list[Account] = field(default_factory=lambda: [Account("smshall", "secret")])
    message_id_format: str = "hex"  # "hex" or "dec"
    enquire_link_interval: float = 30.0  # SMSC-originated enquire_link after this idle time
    enquire_link_timeout: float = 10.0  # no enquire_link_resp within this closes the link
    response_timeout: float = 30.0  # deliver_sm unanswered this long is retried (3 tries)
    # deliver_sm awaiting their response per bind; past it MOs wait at the SMSC (0: no limit)
    deliver_window: int = 0
    reassembly_timeout: float = 60.0
    seed: int | None = None
    receipts: ReceiptConfig = field(default_factory=ReceiptConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)
    traffic: list[TrafficItem] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.message_id_format not in ("hex", "dec"):
            raise ScenarioError("message_id_format must be hex or dec")
        if self.deliver_window < 0:
            raise ScenarioError("deliver_window must not be negative (0: no limit)")
        self.accounts = [a if isinstance(a, Account) else Account(**a) for a in self.accounts]
        self.traffic = [t if isinstance(t, TrafficItem) else TrafficItem(**t) for t in self.traffic]

    def password_for(self, system_id: str) -> str | None:
        for account in self.accounts:
            if account.system_id == system_id:
                return account.password
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _build(cls: type, data: Any, where: str) -> Any:
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise ScenarioError(f"{where} must be a mapping")
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ScenarioError(f"unknown key(s) in {where}: {', '.join(sorted(unknown))}")
    try:
        return cls(**data)
    except TypeError as exc:
        raise ScenarioError(f"{where}: {exc}") from exc


def from_dict(data: dict[str, Any] | None) -> Scenario:
    data = dict(data or {})
    if "receipts" in data:
        data["receipts"] = _build(ReceiptConfig, data["receipts"], "receipts")
    if "faults" in data:
        data["faults"] = _build(FaultConfig, data["faults"], "faults")
    for key, cls in (("accounts", Account), ("traffic", TrafficItem)):
        if key in data:
            if not isinstance(data[key], list):
                raise ScenarioError(f"{key} must be a list")
            data[key] = [_build(cls, item, key) for item in data[key]]
    if isinstance(data.get("receipts"), ReceiptConfig):
        data["receipts"].rules = [
            _build(OutcomeRule, r, "receipts.rules") for r in data["receipts"].rules
        ]
    return _build(Scenario, data, "scenario")


def load(path: str | Path) -> Scenario:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from exc
    return from_dict(data)
