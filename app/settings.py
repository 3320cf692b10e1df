"""Settings from the environment (or a `.env` file); secrets never live in the repo."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.domain.replies import Language


class _LinkTiming(BaseModel):
    """How an SMPP bind or a CMPP link waits: for responses, between reconnects
    (base * 2^attempt, capped, with jitter) and after the SMSC or ISMG asks it to
    slow down (ESME_RTHROTTLED / ESME_RMSGQFUL, CMPP SUBMIT_RESP Result 8)."""

    response_timeout: float = Field(10.0, gt=0)
    reconnect_base: float = Field(1.0, gt=0)
    reconnect_max: float = Field(60.0, gt=0)
    throttle_pause: float = Field(1.0, ge=0)


class SmppBind(_LinkTiming):
    """One ESME account at an SMSC. `rx+tx` opens a receiver and a transmitter."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,24}$")
    host: str
    port: int = 2775
    system_id: str = Field(min_length=1, max_length=15)  # SMPP 3.4: C-Octet String of 16
    password: SecretStr = SecretStr("")
    system_type: str = ""
    #: How this SMSC writes receipt ids against submit_sm_resp ids (Kannel's
    #: msg-id-type): "same", "decimal_for_hex" or "hex_for_decimal".
    receipt_ids: Literal["same", "decimal_for_hex", "hex_for_decimal"] = "same"

    @field_validator("password")
    @classmethod
    def _smpp_password(cls, value: SecretStr) -> SecretStr:
        # SMPP 3.4 §5.2.2: a C-Octet String of at most 9 octets with its NUL.
        if len(value.get_secret_value().encode()) > 8:
            raise ValueError("an SMPP password holds at most 8 characters")
        return value

    mode: Literal["trx", "rx+tx", "tx", "rx"] = "trx"
    window: int = Field(10, ge=1, le=1000)
    tps: float = Field(50.0, ge=0, description="submit_sm per second; 0 = unlimited")
    enquire_link_interval: float = Field(30.0, gt=0)
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    dest_addr_ton: int = 0
    dest_addr_npi: int = 1


class CmppLink(_LinkTiming):
    """One SP account at a China Mobile ISMG, over CMPP 2.0 or 3.0 (one transceiver link)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,24}$")
    host: str
    port: int = 7890
    #: Source_Addr in CONNECT and Msg_src in SUBMIT: the SP id the operator gave (6 digits).
    source_addr: str = Field(min_length=1, max_length=6)
    shared_secret: SecretStr = SecretStr("")
    #: Service_Id of replies (up to 10 characters), as contracted for the service.
    service_id: str = Field("", max_length=10)
    #: Src_Id of replies: the SP's service number (the short code or an extension of it).
    sp_code: str = Field(pattern=r"^[0-9]{1,21}$")
    version: Literal["2.0", "3.0"] = "3.0"
    window: int = Field(16, ge=1, le=1000)
    tps: float = Field(50.0, ge=0, description="SUBMIT per second; 0 = unlimited")
    #: ACTIVE_TEST after this many seconds of silence; the link is dropped after
    #: `active_test_misses` of them go unanswered in a row.
    active_test_seconds: float = Field(30.0, gt=0)
    active_test_misses: int = Field(3, ge=1)

    @property
    def version_byte(self) -> int:
        return 0x30 if self.version == "3.0" else 0x20


#: The shortest token a gateway or the admin API may be given: a guessable one is none.
MIN_TOKEN_CHARS = 16


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SMSHALL_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite:///var/smshall.db",
        validation_alias=AliasChoices("DATABASE_URL", "SMSHALL_DATABASE_URL"),
    )
    #: Bearer token the HTTP gateways (`POST /v1/mo`) must present.
    gateway_token: SecretStr | None = None
    #: Bearer token for the operator's admin API.
    admin_token: SecretStr | None = None
    language: Language = Language.ZH
    timezone: str = "Asia/Shanghai"
    #: The short code subscribers text and every reply is sent from.
    short_code: str = Field("10086", pattern=r"^[0-9]{3,21}$")
    #: A number's MOs answered per minute after a burst of `mo_burst` (app/domain/flood.py);
    #: past it they are recorded and acknowledged, answered once with a short notice,
    #: then not until the bucket refills. 0 = no limit.
    mo_per_minute: float = Field(20.0, ge=0)
    mo_burst: int = Field(20, ge=1)
    #: Requests per second each HTTP client (by address) may make after a burst of
    #: `http_burst`; past it 429 with Retry-After. Above what one process answers, so it
    #: only stops a client gone wrong. 0 = no limit.
    http_per_second: float = Field(2000.0, ge=0)
    http_burst: int = Field(4000, ge=1)
    #: For testers and demos: the service clock reads this instant at start and runs on
    #: from it (naive = operator time), so campaign windows and tenure answer alike on
    #: any day. Unset in production: the machine's clock.
    clock_start: datetime | None = None
    #: The most SMS parts a reply quoting the subscriber's text may take; only the
    #: quote is cut to fit (one 2,999-character MO once drew 45 submit_sm).
    max_reply_parts: int = Field(3, ge=1, le=255)
    host: str = "127.0.0.1"
    port: int = 8000
    #: The largest HTTP request body any route reads (413 above it).
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    #: The longest MO text taken over JSON or Kannel HTTP (a 422 above it; over SMPP,
    #: where a refusal only brings the deliver_sm again, a longer MO is kept cut to it:
    #: an SMS reassembled from 255 parts is about 39,000 characters; real ones are far
    #: shorter), and the longest USSD input string (every input of a session, joined by `*`).
    max_mo_chars: int = Field(2000, ge=160)
    max_ussd_chars: int = Field(500, ge=32)
    #: A gateway's time for an MO (JSON `received_at`, Kannel `time`) is taken only from
    #: this long before the service clock (an SMSC holds an MO for a few days at most)
    #: to this long after it (clock skew): every decision is taken as of it.
    received_at_max_age_days: float = Field(7.0, gt=0)
    received_at_max_ahead_minutes: float = Field(10.0, ge=0)
    #: `/health` answers 503 once a reply due to leave has waited this many seconds.
    health_outbox_age: float = Field(300.0, gt=0)
    #: ... and once Kannel's sendsms has taken no reply for this many seconds.
    health_sendsms_grace: float = Field(30.0, ge=0)
    #: Every this many seconds a process holding SMPP binds or CMPP links writes their
    #: state to the database, where every process's console and `GET /v1/links` read
    #: it (0: never), under `process_name` (default: host:pid).
    link_status_interval: float = Field(5.0, ge=0)
    process_name: str | None = Field(None, min_length=1, max_length=128)
    #: One log line per HTTP request (uvicorn's access log); off for high volume.
    access_log: bool = True
    #: Bearer token a Prometheus scraper may present for `GET /metrics` (the admin
    #: token is taken too), and where `serve --workers N` keeps the workers' metric
    #: files (else PROMETHEUS_MULTIPROC_DIR, else var/metrics; emptied at start).
    metrics_token: SecretStr | None = None
    metrics_dir: str = ""
    #: The `smshall.*` log lines: `text` or `json` (one object per line).
    log_format: Literal["text", "json"] = "text"

    #: SMPP binds, as JSON in SMSHALL_SMPP_BINDS; none by default (HTTP gateway only).
    smpp_binds: list[SmppBind] = Field(default_factory=list)
    #: CMPP links to ISMGs, as JSON in SMSHALL_CMPP_LINKS (app/gateways/cmpp/).
    cmpp_links: list[CmppLink] = Field(default_factory=list)
    #: How long MT goes out: UDH with an 8- or 16-bit reference, SAR TLVs, or message_payload.
    smpp_long_messages: Literal["udh8", "udh16", "sar", "payload"] = "udh8"
    #: registered_delivery on submit_sm: 1 = receipt on final outcome, 0 = none.
    smpp_registered_delivery: int = 1
    #: Seconds in which an identical deliver_sm may be a redelivery (app/gateways/links/dedupe.py).
    smpp_mo_dedupe_window: float = 60.0
    #: A deliver_sm_resp sent later than this after the deliver_sm, or followed this soon by
    #: the link dying, may not have reached the SMSC: an identical MO then is a redelivery.
    smpp_mo_ack_grace: float = 5.0
    #: Seconds the parts of a long MO wait for the rest before what arrived is answered.
    smpp_concat_ttl: float = 120.0
    #: Threads writing MO batches, per gateway (SMPP, HTTP; always one on SQLite). One
    #: makes the largest batches and costs the least CPU per MO, measured best on 2 cores
    #: (bench/README.md); a machine with cores to spare may want more.
    inbound_writers: int = Field(default=1, ge=1, le=32)
    #: Outbox sender: rows claimed per transaction, idle poll, attempts before failing.
    outbox_batch_size: int = 20
    outbox_poll_interval: float = 0.5
    outbox_max_attempts: int = 8
    #: First retry delay after a temporary failure; doubles per attempt, at most 5 minutes.
    outbox_retry_base: float = 2.0
    #: A claimed row not marked within this many seconds is claimed again (crash recovery).
    outbox_claim_lease: float = 120.0

    #: Kannel gateway (`/v1/kannel/*`): a token (`?token=` or a Bearer header) and/or
    #: client addresses or networks; with neither configured every request is refused.
    kannel_token: SecretStr | None = None
    kannel_allowed_ips: list[str] = Field(default_factory=list)
    #: `body`: the reply is the get-url response; `sendsms`: it leaves through the outbox.
    kannel_reply_mode: Literal["body", "sendsms"] = "body"
    kannel_sendsms_url: str = "http://127.0.0.1:13013/cgi-bin/sendsms"
    kannel_sendsms_username: str = ""
    kannel_sendsms_password: SecretStr = SecretStr("")
    kannel_sendsms_timeout: float = 10.0
    #: Route MT to this Kannel smsc-id; empty lets Kannel choose.
    kannel_smsc: str = ""
    #: This service's `/v1/kannel/dlr` as Kannel reaches it; empty asks for no reports.
    kannel_dlr_url: str = ""
    #: 1 delivered + 2 failed + 4 buffered + 8 SMSC ack + 16 SMSC reject.
    kannel_dlr_mask: int = 31

    #: The questions a subscriber may answer (DOMAIN.md §5, §6): hours in which a `Y`
    #: places a paid order (or keeps a free experience after its reminder), minutes in
    #: which a digit picks from the `CD` menu, hours in which numbers cancel from the
    #: `0000` list. The replies that ask say these figures.
    confirm_hours: int = Field(24, gt=0)
    menu_minutes: int = Field(10, gt=0)
    cancel_list_hours: int = Field(2, gt=0)

    #: Messages the service starts itself (app/services/scheduled.py, DOMAIN.md §7a):
    #: the outbox channel that carries them, the daily cap per subscriber, the days
    #: before a free period ends that the reminder goes out, and the in-service timer
    #: (seconds between runs; 0 disables it, leaving `smshall run-scheduled` to cron).
    notice_channel: str = "smpp"
    notice_daily_cap: int = Field(3, ge=1)
    notice_reminder_days_before: int = Field(7, ge=1)
    scheduled_interval: float = Field(300.0, ge=0)
    scheduled_batch_size: int = Field(200, ge=1)

    #: The message log's retention (app/services/retention.py, `smshall purge`): MOs and
    #: replies older than this many days are deleted unless still needed; never fewer
    #: days than `received_at_max_age_days` (the dedupe). Rows per purge transaction.
    retention_days: float = Field(180.0, gt=0)
    retention_batch_size: int = Field(5000, ge=1, le=50_000)

    #: USSD over SMPP (app/gateways/smpp/ussd.py): seconds of silence after which a
    #: dialogue's inputs are forgotten; the next step starts again from the top.
    ussd_session_timeout: float = Field(180.0, gt=0)

    @field_validator("gateway_token", "admin_token", "kannel_token", "metrics_token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """Refuse to start with a token anyone could guess: `SMSHALL_GATEWAY_TOKEN=' '`
        once let `?token=%20` in. Unset (None) stays allowed: that endpoint refuses all."""
        if value is None:
            return None
        token = value.get_secret_value()
        name = f"SMSHALL_{(info.field_name or '').upper()}"
        if not token.strip():
            raise ValueError(f"{name} is empty or blank; unset it, or set a random token")
        if token != token.strip():
            raise ValueError(f"{name} starts or ends with whitespace")
        if len(token) < MIN_TOKEN_CHARS:
            raise ValueError(f"{name} is shorter than {MIN_TOKEN_CHARS} characters")
        return value

    def secret_values(self) -> list[str]:
        """Every configured secret, so that the logs can blank any that slips in."""
        secrets = [self.gateway_token, self.admin_token, self.kannel_token, self.metrics_token]
        secrets += [self.kannel_sendsms_password, *(b.password for b in self.smpp_binds)]
        secrets += [link.shared_secret for link in self.cmpp_links]
        return [s.get_secret_value() for s in secrets if s is not None and s.get_secret_value()]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def received_at_window(self) -> tuple[timedelta, timedelta]:
        """How far before and after the service clock a gateway's time may be."""
        return (
            timedelta(days=self.received_at_max_age_days),
            timedelta(minutes=self.received_at_max_ahead_minutes),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
