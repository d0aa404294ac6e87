"""Plan-style use of the ``csms`` fixture on the default rig, run in pytest subprocesses by
``test_csms_fixture.py`` (so their in-process bench and reports stay out of the suite's own
session). Run with ``-k "early or charge"`` or ``-k "late or charge"`` and
``--charger-set identity.serial=ZCS000042``: one session asks for ``csms`` before the charger
has power, the other after it booted."""

from __future__ import annotations

SERIAL = "ZCS000042"


def power_and_boot(ac_source, ev, clock) -> None:  # type: ignore[no-untyped-def]
    ev.make_safe()
    ac_source.configure(230.0, 50.0, 40.0)
    ac_source.output_on()
    assert clock.wait_until(lambda: ev.measure_pilot().state == "A1", 240, poll=1.0)


def test_early_csms(csms, ac_source, ev, clock):
    """Asked for before the charger has power: nobody to ask for a serial, the default id."""
    assert csms.cp_id == "ZCS000001"
    assert csms.wait_connected(5)
    assert csms.messages() == []
    power_and_boot(ac_source, ev, clock)
    boot = csms.wait_for("BootNotification", timeout=10)
    assert boot is not None and boot.payload["chargePointSerialNumber"] == SERIAL
    assert csms.wait_for("StatusNotification", timeout=10)
    assert csms.last_status() == ("Available", "NoError")


def test_late_csms(request, ac_source, ev, clock):
    """Asked for after the charger booted: the id is its serial; it says hello on connecting."""
    power_and_boot(ac_source, ev, clock)
    csms = request.getfixturevalue("csms")
    assert csms.cp_id == SERIAL
    assert csms.wait_connected(5)
    boot = csms.wait_for("BootNotification", timeout=10)
    assert boot is not None and boot.payload["chargePointSerialNumber"] == SERIAL
    assert csms.wait_for("StatusNotification", timeout=10)
    assert csms.last_status() == ("Available", "NoError")


def test_charge_seen_by_the_csms(csms, ev, clock, trace):
    mark = csms.mark()
    ev.set_load(16.0, phases=3)
    ev.load_on()
    ev.set_cable(220.0)
    t_b = ev.set_state("B")
    assert trace.wait_pwm(after=t_b, timeout=5)
    ev.set_state("C")
    assert csms.wait_for("StartTransaction", since=mark, timeout=10)
    assert csms.set_charging_profile(16) == "Accepted"
    clock.sleep(12.0)
    assert abs(ev.measure_pilot().duty_pct - 26.67) < 0.01
    ev.set_state("A")
    assert csms.wait_for("StopTransaction", since=mark, timeout=10)
    (tx,) = csms.transactions()
    assert tx.meter_stop > tx.meter_start
    assert csms.clear_charging_profile() == "Accepted"
    assert csms.violations == []
