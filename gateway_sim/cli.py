"""``gateway-sim`` command line: serve, send, ussd, load."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

import httpx

from gateway_sim import scenario as scenario_mod
from gateway_sim.control_client import (
    DEFAULT_URL,
    TOKEN_ENV,
    ControlError,
    send_and_wait,
    ussd_dialogue,
)

# CLI flag -> FaultConfig field. Flags override the scenario file.
FAULT_FLAGS: dict[str, tuple[Callable[[str], Any], str]] = {
    "throttle_tps": (float, "answer ESME_RTHROTTLED (0x58) to submits above this rate"),
    "submit_error_rate": (float, "share 0..1 of submit_sm answered with --submit-error-status"),
    "submit_error_status": (lambda v: int(v, 0), "status for random submit errors (default 0x08)"),
    "enquire_link_resp_delay": (float, "seconds before answering enquire_link"),
    "enquire_link_resp_drop": (float, "share 0..1 of enquire_link left unanswered"),
    "drop_connections_every": (float, "close every SMPP connection every N seconds"),
    "refuse_binds_for": (float, "ESME_RBINDFAIL (0x0D) to binds for the first N seconds"),
    "delayed_resp_rate": (float, "share 0..1 of submit_sm_resp held back"),
    "delayed_resp_seconds": (float, "how long a held-back submit_sm_resp waits (default 2)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway-sim", description="SMSC simulator for smshall")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--log-level", help="default INFO for serve, WARNING otherwise")
    sub = parser.add_subparsers(dest="cmd", required=True)
    _add_serve(sub, common)
    _add_send(sub, common)
    _add_ussd(sub, common)
    _add_load(sub, common)
    return parser


# The subparsers action argparse returns from add_subparsers (a private class).
Subparsers = Any


def _add_serve(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    serve = sub.add_parser(
        "serve", parents=[common], help="run the SMPP server and HTTP control API"
    )
    serve.add_argument("--host", default="127.0.0.1", help="SMPP listen address")
    serve.add_argument("--smpp-port", type=int, default=2775)
    serve.add_argument("--http-host", default="127.0.0.1", help="control API listen address")
    serve.add_argument("--http-port", type=int, default=8700)
    serve.add_argument("--system-id", help="accept only this account (default smshall)")
    serve.add_argument("--password", help="password for --system-id (default secret)")
    serve.add_argument("--scenario", help="YAML scenario file")
    serve.add_argument(
        "--cmpp-port", type=int, help="also run a CMPP 2.0/3.0 ISMG on this port (0 = any free)"
    )
    serve.add_argument(
        "--cmpp-account",
        action="append",
        metavar="SP_ID:SECRET",
        help="an SP account of the ISMG (repeatable; default 901234:secret)",
    )
    serve.add_argument(
        "--control-token",
        default=os.environ.get(TOKEN_ENV),
        help=f"bearer token required on /api (env {TOKEN_ENV})",
    )
    serve.add_argument("--message-id-format", choices=("hex", "dec"))
    serve.add_argument("--receipt-delay", type=float, help="seconds from submit to receipt")
    serve.add_argument(
        "--enquire-link-interval",
        type=float,
        help="SMSC sends enquire_link after this many idle seconds (default 30)",
    )
    serve.add_argument("--seed", type=int, help="random seed for outcomes and faults")
    for name, (kind, text) in FAULT_FLAGS.items():
        serve.add_argument("--" + name.replace("_", "-"), type=kind, help=text)
    serve.add_argument(
        "--receipt-before-resp",
        action="store_true",
        default=None,
        help="send each receipt before its submit_sm_resp",
    )


def _add_send(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    send = sub.add_parser("send", parents=[common], help="send one MO and print the reply")
    send.add_argument("msisdn")
    send.add_argument("text")
    send.add_argument("--to", default="10086")
    send.add_argument("--url", default=DEFAULT_URL)
    send.add_argument("--token", help=f"control token (env {TOKEN_ENV})")
    send.add_argument("--timeout", type=float, default=10.0)
    send.add_argument("--data-coding", type=int, choices=(0, 1, 3, 8))
    send.add_argument("--split", choices=("udh8", "udh16", "sar", "none"))
    send.add_argument("--json", action="store_true")


def _add_ussd(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    ussd = sub.add_parser(
        "ussd",
        parents=[common],
        help="dial a USSD code, answer each screen in turn, print the screens",
    )
    ussd.add_argument("msisdn")
    ussd.add_argument("code", help="the code to dial, e.g. '*10086#'")
    ussd.add_argument("inputs", nargs="*", help="the answer to each screen, in order")
    ussd.add_argument("--url", default=DEFAULT_URL)
    ussd.add_argument("--token", help=f"control token (env {TOKEN_ENV})")
    ussd.add_argument("--timeout", type=float, default=10.0, help="wait per screen, seconds")
    ussd.add_argument("--json", action="store_true")


def _add_load(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    load = sub.add_parser(
        "load", parents=[common], help="replay a traffic mix across many handsets"
    )
    load.add_argument("--rate", type=float, required=True, help="MO per second")
    load.add_argument("--count", type=int, required=True, help="number of MO")
    load.add_argument("--numbers", type=int, default=100, help="distinct handsets")
    load.add_argument("--first-number", type=int, default=13900000000)
    load.add_argument("--scenario", help="YAML file; its 'traffic' list is the mix")
    load.add_argument("--url", default=DEFAULT_URL)
    load.add_argument("--token", help=f"control token (env {TOKEN_ENV})")
    load.add_argument("--timeout", type=float, default=10.0, help="wait per reply, seconds")
    load.add_argument(
        "--in-process",
        action="store_true",
        help="start a simulator in this process (SMPP on --smpp-port) and load it",
    )
    load.add_argument("--smpp-port", type=int, default=2775)
    load.add_argument("--seed", type=int)
    load.add_argument("--json", action="store_true", help="print the summary as JSON")


def scenario_from_args(args: argparse.Namespace) -> scenario_mod.Scenario:
    base = scenario_mod.load(args.scenario).to_dict() if args.scenario else {}
    if args.system_id or args.password:
        base["accounts"] = [
            {"system_id": args.system_id or "smshall", "password": args.password or "secret"}
        ]
    for flag, key in (
        ("message_id_format", "message_id_format"),
        ("seed", "seed"),
        ("enquire_link_interval", "enquire_link_interval"),
    ):
        if getattr(args, flag) is not None:
            base[key] = getattr(args, flag)
    faults = dict(base.get("faults") or {})
    for name in FAULT_FLAGS:
        if getattr(args, name) is not None:
            faults[name] = getattr(args, name)
    if args.receipt_before_resp:
        faults["receipt_before_resp"] = True
    base["faults"] = faults
    if args.receipt_delay is not None:
        base["receipts"] = {**(base.get("receipts") or {}), "delay": args.receipt_delay}
    return scenario_mod.from_dict(base)


def cmd_serve(args: argparse.Namespace) -> int:
    from gateway_sim.simulator import Simulator

    sim = Simulator(
        scenario_from_args(args),
        host=args.host,
        smpp_port=args.smpp_port,
        http_host=args.http_host,
        http_port=args.http_port,
        control_token=args.control_token,
        cmpp_port=args.cmpp_port,
        cmpp_accounts=_cmpp_accounts(args.cmpp_account),
    )
    accounts = ", ".join(a.system_id for a in sim.scenario.accounts)
    cmpp = "" if args.cmpp_port is None else f"CMPP {args.host}:{args.cmpp_port}; "
    print(
        f"gateway-sim: SMPP {args.host}:{args.smpp_port} (accounts: {accounts}); {cmpp}"
        f"control API and handset page http://{args.http_host}:{args.http_port}/",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(sim.run())
    return 0


def _cmpp_accounts(given: list[str] | None) -> dict[str, str] | None:
    if not given:
        return None
    accounts: dict[str, str] = {}
    for item in given:
        sp_id, _, secret = item.partition(":")
        if not sp_id or not secret or len(sp_id) > 6:
            raise SystemExit(f"--cmpp-account {item!r}: want SP_ID:SECRET, SP_ID of 6 at most")
        accounts[sp_id] = secret
    return accounts


def cmd_send(args: argparse.Namespace) -> int:
    fields: dict[str, Any] = {}
    if args.data_coding is not None:
        fields["data_coding"] = args.data_coding
    if args.split:
        fields["split"] = args.split
    mo, replies = send_and_wait(
        args.url,
        args.token,
        args.msisdn,
        args.text,
        to=args.to,
        timeout=args.timeout,
        mo_fields=fields,
    )
    if args.json:
        print(json.dumps({"mo": mo, "replies": replies}, ensure_ascii=False))
    else:
        for mt in replies:
            print(
                f"[{mt['from']} -> {mt['to']}, {mt['segments']} part(s), dc={mt['data_coding']}, "
                f"{mt['state']}] {mt['text']}"
            )
        if not replies:
            print(f"no reply within {args.timeout:g}s", file=sys.stderr)
    return 0 if replies else 1


def cmd_ussd(args: argparse.Namespace) -> int:
    """Exit 0 when every input was answered with a screen, 1 otherwise."""
    steps = ussd_dialogue(
        args.url, args.token, args.msisdn, args.code, args.inputs, timeout=args.timeout
    )
    last = steps[-1]
    complete = not last["timed_out"] and len(steps) == len(args.inputs) + 1
    if args.json:
        print(json.dumps({"steps": steps, "complete": complete}, ensure_ascii=False))
    else:
        for step in steps:
            print(f">>> {step['sent']}")
            if step["timed_out"]:
                print(f"(no screen within {args.timeout:g}s)")
                continue
            print(step["screen"])
            print("[END]" if step["end"] else "[CON]")
        if last["timed_out"]:
            print(f"no USSD screen within {args.timeout:g}s", file=sys.stderr)
        elif not complete:
            left = args.inputs[len(steps) - 1 :]
            print(f"the dialogue ended; not sent: {' '.join(left)}", file=sys.stderr)
    return 0 if complete else 1


def cmd_load(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from gateway_sim.load import run_load

    mix = scenario_mod.load(args.scenario).traffic if args.scenario else None
    url = args.url
    runner = None
    if args.in_process:
        from gateway_sim.simulator import SimulatorThread

        runner = SimulatorThread(smpp_port=args.smpp_port).start()
        url = runner.http_url
    # Progress goes to stderr so that --json output on stdout stays machine-readable.
    console = Console(stderr=True)
    try:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=args.json,
        ) as progress:
            task = progress.add_task("MO", total=args.count)
            report = asyncio.run(
                run_load(
                    url,
                    args.token,
                    rate=args.rate,
                    count=args.count,
                    numbers=args.numbers,
                    mix=mix,
                    timeout=args.timeout,
                    first_number=args.first_number,
                    seed=args.seed,
                    on_progress=lambda n: progress.advance(task, n),
                )
            )
    finally:
        if runner is not None:
            runner.stop()
    data = report.to_dict()
    if args.json:
        print(json.dumps(data))
    else:
        lat = report.latency_ms
        print(
            f"sent {report.sent}  answered {report.answered}  unanswered {report.unanswered}  "
            f"errors {report.errors}  in {report.duration_s}s"
        )
        print(
            f"MO {report.mo_per_s} msg/s  MT {report.mt_per_s} msg/s  "
            f"latency p50 {lat['p50']} ms  p95 {lat['p95']} ms  p99 {lat['p99']} ms"
        )
        for sample in report.error_samples:
            print(f"error: {sample}")
    return 0 if report.errors == 0 else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = args.log_level or ("INFO" if args.cmd == "serve" else "WARNING")
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(name)s %(message)s")
    try:
        commands = {"serve": cmd_serve, "send": cmd_send, "ussd": cmd_ussd, "load": cmd_load}
        return commands[args.cmd](args)
    except (scenario_mod.ScenarioError, ControlError, ValueError) as exc:
        print(f"gateway-sim: {exc}", file=sys.stderr)
        return 2
    except (OSError, httpx.HTTPError) as exc:
        print(f"gateway-sim: cannot reach or bind: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
