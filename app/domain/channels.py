"""The channels a message travels by, each name defined once.

An outbox row's `channel` says who carries the reply; an MO's channel is the
transport it came by. StrEnum: stored and compared as the plain text.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    SMPP = "smpp"  # submit_sm over the service's SMPP binds
    CMPP = "cmpp"  # CMPP SUBMIT over the service's links to an ISMG
    KANNEL = "kannel"  # Kannel's sendsms, when it runs in that reply mode
    HTTP_RESPONSE = "http_response"  # carried in the answer to the HTTP request itself
    USSD = "ussd"  # a USSD screen, the answer of the dialogue's step
