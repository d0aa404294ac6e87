"""The firmware under test is chosen (issue 11, item 5): ``--firmware-build`` brings the
emulated charger to a build through OCPP UpdateFirmware from the rig's HTTP server before the
plan; the verdicts file and the record store name the firmware certified; a failed update is
an ERROR of the run with the reason, and no test runs on the wrong firmware."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.firmware_update import FirmwareServer
from rig.records import RecordStore
from tests.plan.runner import run_plan

ONE_TEST = ("-k", "vehicle_stops")


def test_the_plan_runs_on_the_build_it_asked_for(tmp_path: Path):
    store = f"sqlite:///{tmp_path / 'records.sqlite'}"
    run = run_plan(tmp_path, "--firmware-build", "late-open", "--records", store, *ONE_TEST,
                   modules=("test_timing.py",))
    assert run.executed() == {"TM-02": "FAIL"}, run.output[-3000:]  # the image's defect
    charger = run.verdicts["charger"]
    assert charger["firmware"] == "2.14.0-lateopen" and charger["build"] == "late-open"
    assert charger["overrides"] == {}  # the behaviour came with the image, not the rig
    update = charger["firmware_update"]
    assert update["before"] == "2.14.0" and update["after"] == "2.14.0-lateopen"
    assert update["statuses"] == ["Downloading", "Downloaded", "Installing", "Installed"]
    assert update["led_while_downloading"] == "purple/solid"
    assert update["url"].startswith("http://127.0.0.1:")
    with RecordStore(store) as records:
        assert records.run("latest")["charger_firmware"] == "2.14.0-lateopen"


def test_a_failed_download_is_an_error_of_the_run_with_the_reason(tmp_path: Path):
    big = tmp_path / "too-big.yaml"  # a valid build whose image the charger refuses
    big.write_text("firmware: 2.99.0\ndescription: " + "x" * (1 << 20) + "\n")
    run = run_plan(tmp_path, "--firmware-build", str(big), "--no-records", *ONE_TEST,
                   modules=("test_timing.py",))
    assert run.returncode != 0
    assert run.executed() == {"TM-02": "ERROR"}, run.output[-3000:]
    reason = run.reasons("TM-02")
    assert "firmware update to 2.99.0 (too-big) failed: DownloadFailed" in reason, reason
    assert "image larger than 1048576 bytes" in reason and "HTTP 200" in reason
    assert "charger" not in run.verdicts or run.verdicts["charger"].get("firmware") != "2.99.0"


def test_the_server_logs_what_the_charger_asked_for():
    server = FirmwareServer({"a.yaml": b"firmware: 1\n"})
    try:
        import urllib.error
        import urllib.request

        assert urllib.request.urlopen(server.url("a.yaml")).read() == b"firmware: 1\n"
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(server.url("b.yaml"))
        assert server.requests == [("/firmware/a.yaml", 200), ("/firmware/b.yaml", 404)]
    finally:
        server.close()
