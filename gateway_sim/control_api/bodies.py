"""The request bodies the control API accepts, checked before any handler runs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway_sim.control_api.deps import MAX_WAIT
from gateway_sim.segments import SplitMethod

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
