"""The gateway-sim CLI: send, load and serve's flag handling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway_sim import cli
from gateway_sim.scenario import load
from tests.support.esme import EchoEsme

EXAMPLE = Path(cli.__file__).parent / "scenarios" / "example.yaml"


@pytest.fixture
def echo(sim):
    esme = EchoEsme(sim.port).start()
    yield esme
    esme.stop()


def test_send_prints_the_reply(sim, echo, capsys):
    code = cli.main(["send", "13800138000", "iwjzs 2", "--url", sim.url, "--timeout", "5"])
    out = capsys.readouterr().out
    assert code == 0
    assert "echo: iwjzs 2" in out and "10086 -> 13800138000" in out


def test_send_times_out_without_esme(sim, capsys):
    code = cli.main(["send", "13800138000", "hello", "--url", sim.url, "--timeout", "0.3"])
    assert code == 1
    assert "no reply" in capsys.readouterr().err


def test_send_console_script_json(sim, echo):
    exe = Path(sys.executable).parent / "gateway-sim"
    proc = subprocess.run(
        [str(exe), "send", "13800000077", "查话费", "--url", sim.url, "--timeout", "5", "--json"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "GATEWAY_SIM_TOKEN": ""},
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["mo"]["data_coding"] == 8
    assert [m["text"] for m in data["replies"]] == ["echo: 查话费"]


def test_load_against_simulator_with_echo_esme(sim, echo, capsys):
    code = cli.main(
        [
            "load",
            "--url",
            sim.url,
            "--rate",
            "100",
            "--count",
            "40",
            "--numbers",
            "8",
            "--timeout",
            "5",
            "--seed",
            "3",
        ]
    )
    captured = capsys.readouterr()
    print(captured.out)  # the summary, visible with pytest -s
    assert code == 0, captured
    assert "sent 40  answered 40  unanswered 0  errors 0" in captured.out
    assert "p50" in captured.out and "msg/s" in captured.out
    assert echo.answered == 40


def test_load_json_counts_unanswered(sim, capsys):
    # No ESME bound: every MO waits in the SMSC queue and goes unanswered.
    code = cli.main(
        [
            "load",
            "--url",
            sim.url,
            "--rate",
            "200",
            "--count",
            "4",
            "--numbers",
            "4",
            "--timeout",
            "0.3",
            "--json",
            "--scenario",
            str(EXAMPLE),
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (report["sent"], report["answered"], report["unanswered"]) == (4, 0, 4)
    assert report["latency_ms"] == {"p50": None, "p95": None, "p99": None}
    texts = {m["text"] for m in json.loads(json.dumps(sim.api("GET", "/api/mo")))["mo"]}
    assert texts <= {"cxye", "cxll", "iwjzs 2", "查话费"}


def test_load_reports_errors_when_unreachable(capsys):
    code = cli.main(["load", "--url", "http://127.0.0.1:9", "--rate", "10", "--count", "1"])
    assert code == 2
    assert "gateway-sim:" in capsys.readouterr().err


def test_serve_flags_override_scenario(tmp_path):
    args = cli.build_parser().parse_args(
        [
            "serve",
            "--scenario",
            str(EXAMPLE),
            "--system-id",
            "esme1",
            "--password",
            "pw",
            "--throttle-tps",
            "50",
            "--submit-error-status",
            "0x45",
            "--receipt-before-resp",
            "--receipt-delay",
            "0.1",
            "--message-id-format",
            "dec",
            "--refuse-binds-for",
            "3",
        ]
    )
    scenario = cli.scenario_from_args(args)
    assert [(a.system_id, a.password) for a in scenario.accounts] == [("esme1", "pw")]
    assert scenario.faults.throttle_tps == 50 and scenario.faults.submit_error_status == 0x45
    assert scenario.faults.receipt_before_resp and scenario.faults.refuse_binds_for == 3
    assert scenario.receipts.delay == 0.1 and scenario.message_id_format == "dec"
    assert scenario.receipts.rules[0].stat == "UNDELIV"  # kept from the file


def test_example_scenario_loads():
    scenario = load(EXAMPLE)
    assert scenario.faults.submit_error_status == 8
    assert [t.text for t in scenario.traffic][:2] == ["cxye", "cxll"]


def test_bad_scenario_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("faults:\n  throttle_tsp: 5\n")
    assert cli.main(["serve", "--scenario", str(bad), "--smpp-port", "0"]) == 2
    assert "throttle_tsp" in capsys.readouterr().err


def test_load_in_process_without_esme(capsys):
    code = cli.main(
        [
            "load",
            "--in-process",
            "--smpp-port",
            "0",
            "--rate",
            "50",
            "--count",
            "3",
            "--numbers",
            "3",
            "--timeout",
            "0.2",
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["sent"] == 3 and report["unanswered"] == 3
