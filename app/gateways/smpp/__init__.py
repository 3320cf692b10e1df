"""The SMPP gateway: supervised ESME binds that use smpplib only as the PDU codec."""
