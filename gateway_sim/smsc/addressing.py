"""Address fields as a real SMSC fills them."""

from __future__ import annotations


def ton_of(number: str) -> int:
    """The type of number a real SMSC would send: international (1) only for a
    number that carries its country code (`8613800138000`), national (2) for
    a Chinese mobile number without it, unknown (0) for short codes. Marking a
    national number international makes peers such as Kannel prefix a `+`."""
    if number.startswith("86") and len(number) == 13:
        return 1
    if len(number) == 11 and number.startswith("1"):
        return 2
    return 0


def deliver_address(source: str, destination: str) -> dict[str, int | str]:
    """The address fields of a deliver_sm from `source` (a handset) to `destination`."""
    return {
        "source_addr_ton": ton_of(source),
        "source_addr_npi": 1,
        "source_addr": source,
        "dest_addr_ton": 0,
        "dest_addr_npi": 1,
        "destination_addr": destination,
    }
