"""The CONNECT handshake's authenticators (MD5) and its timestamp."""

from __future__ import annotations

import hashlib
from datetime import datetime

#: The octets of zeros between Source_Addr and the secret in AuthenticatorSource.
ZEROS = bytes(9)


def timestamp(now: datetime) -> int:
    """MMDDHHMMSS as the integer sent in CONNECT's Timestamp."""
    return int(now.strftime("%m%d%H%M%S"))


def authenticator_source(source_addr: str, secret: str, stamp: int) -> bytes:
    """MD5(Source_Addr + 9 zero octets + shared secret + timestamp as 10 digits)."""
    data = source_addr.encode("ascii") + ZEROS + secret.encode("utf-8") + f"{stamp:010d}".encode()
    return hashlib.md5(data).digest()  # noqa: S324 - the protocol's own hash


def authenticator_ismg(status: bytes, source: bytes, secret: str) -> bytes:
    """MD5(Status + AuthenticatorSource + shared secret), Status as sent on the wire."""
    return hashlib.md5(status + source + secret.encode("utf-8")).digest()  # noqa: S324
