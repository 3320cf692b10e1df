"""The SMSC: accepts ESME connections, routes MO and receipts, applies faults.

Runs entirely on one asyncio loop. Sessions handle the protocol; this package
holds what is shared between binds, one job a module: the server with its
binds and deliver_sm routing (`server`), handset MO (`mo_injection`), submit_sm
and query_sm (`mt_intake`) and delivery receipts (`receipt_sending`).
"""

from gateway_sim.smsc.addressing import ton_of
from gateway_sim.smsc.mt_intake import MtInProgress, TokenBucket
from gateway_sim.smsc.server import Smsc

__all__ = ["MtInProgress", "Smsc", "TokenBucket", "ton_of"]
