"""PR-02: RFID authentication, the manual's user flow 2 (charger.md, "User flows").

A tag presenter puts the rig's real tags on the charger's own reader (``tag_presenter``; the
rig file's ``RfidTag`` resources say each tag's UID and the answer expected: ``accepted`` on
the charger's local list, ``refused`` by the central system, ``central``: unknown to the
charger, asked of the central system, which accepts it). The charger charges freely out of the
box (flow 1, what every other test of the plan relies on), so these tests switch it into RFID
mode first, the way the product file says (``rfid_mode``: an OCPP configuration key, through
the rig's real central system), and back afterwards.

Without a tag presenter, a central system or a way to switch RFID mode on, PR-02 is NOT_RUN
with the reason. Every step of the flow is one ``flow`` measurement, so a report shows which
step failed: a vehicle asking to charge without a tag, the LED sequence, the idTag in
Authorize and StartTransaction, a refused tag, a tag while the central system is offline
(the product's offline rule, catalogue ``offline_rule``, ``confirm: true``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from ocpp.v16 import call

from rig.errors import RigError
from rig.pytest_plugin.verdicts import product_of
from testplans.iec61851.plan import CATALOGUE, budget

#: The vehicle's load while it charges, A per phase.
LOAD_A = 16.0


def param(key: str) -> Any:
    return CATALOGUE.params("PR-02")[key]


def leds(trace: Any, since: float, until: float | None = None) -> list[str]:
    """The LED's states since ``since`` (up to ``until``), repeats folded."""
    out: list[str] = []
    for event in trace.events(since, "LED"):
        if until is not None and event.t > until:
            break
        if not out or out[-1] != event.value:
            out.append(event.value)
    return out


def configure(csms: Any, key: str, value: str) -> str:
    return str(csms.call(call.ChangeConfiguration(key=key, value=value)).status)


@pytest.fixture
def rfid_key(request: pytest.FixtureRequest) -> str:
    """The product file's OCPP key for RFID mode (asked first: NOT_RUN before any charging)."""
    product = product_of(request.config)
    key = product.rfid_mode if product is not None else None
    if not key:
        name = product.name if product is not None else "the charger"
        pytest.skip(f"the product file names no way to switch {name} into RFID mode "
                    "(rfid_mode: its OCPP configuration key)")
    return key


@pytest.fixture
def rfid(tag_presenter: Any, rfid_key: str, charger: Any, csms: Any, record: Any
         ) -> Iterator[Any]:
    """The charger in RFID mode (the product file's ``rfid_mode`` key) and the tag presenter;
    no tag and free charging again afterwards, whatever happened. A rig without a tag
    presenter or a product without the key: NOT_RUN, before anything is switched on."""
    if not csms.wait_connected(float(param("online_s"))):
        pytest.fail("precondition: the charger is not connected to the central system")
    status = configure(csms, rfid_key, "true")
    record("PR-02", status == "Accepted", name="flow",
           data={"step": "rfid_mode", "key": rfid_key, "status": status})
    try:
        yield tag_presenter
    finally:
        tag_presenter.withdraw()
        try:
            if csms.wait_connected(float(param("online_s"))):
                configure(csms, rfid_key, "false")
        except RigError as exc:  # e.g. the supply already off after Ctrl-C: say so, go on
            warnings.warn(f"the charger may be left in RFID mode ({rfid_key}=true): {exc}",
                          stacklevel=1)


def tag(presenter: Any, answer: str) -> Any:
    found = presenter.tag(answer)
    if found is None:
        pytest.skip(f"the rig's tag presenter holds no tag with answer: {answer}")
    return found


def plug_in_asking(charger: Any, ev: Any) -> float:
    """The vehicle plugged in and asking to charge at once (C): returns the time of B."""
    ev.set_load(LOAD_A, phases=3)
    ev.load_on()
    t_b = charger.connect()
    ev.set_state("C")
    return t_b


def step(record: Any, ok: bool, name: str, **data: Any) -> None:
    record("PR-02", bool(ok), name="flow", data={"step": name, **data})


@pytest.mark.requirement("PR-02")
@pytest.mark.lg_feature("led-sensor")
def test_no_charge_before_an_accepted_tag(rfid, charger, ev, trace, clock, csms, record):
    """Flow 2 with a tag of the local list: nothing charges while the vehicle waits; the tag
    starts the charge; the LED flashes yellow, green, blue; the idTag opens the transaction."""
    accepted = tag(rfid, "accepted")
    t_b = plug_in_asking(charger, ev)
    clock.sleep(float(param("wait_s")))
    early = trace.first("CONTACTOR", 1, after=t_b)
    step(record, early is None, "no_charge_without_tag", waited_s=float(param("wait_s")),
         closed_at_s=None if early is None else round(early.t - t_b, 6))
    mark = csms.mark()
    t_tag = ev.time()
    rfid.present(accepted.name)
    closed = trace.wait_for("CONTACTOR", 1, after=t_tag,
                            timeout=float(param("answer_s")) + budget("TM-01"))
    step(record, closed is not None, "charges_after_accepted_tag", tag=accepted.uid)
    t_end = (closed.t if closed is not None else ev.time())
    trace.wait_for("LED", "blue/flash", after=t_end, timeout=float(param("answer_s")))
    seen = leds(trace, t_b)
    want = list(param("led_sequence"))
    step(record, seen[:len(want)] == want, "led_sequence", expected=want, seen=seen)
    start = csms.wait_for("StartTransaction", since=mark, timeout=float(param("answer_s")))
    id_tag = None if start is None else start.payload.get("idTag")
    step(record, id_tag == accepted.uid, "start_transaction_idtag", expected=accepted.uid,
         seen=id_tag)


@pytest.mark.requirement("PR-02")
@pytest.mark.lg_feature("led-sensor")
def test_a_tag_asked_of_the_central_system(rfid, charger, ev, trace, clock, csms, record):
    """A tag the charger does not know: its idTag goes to the central system (Authorize), the
    central system accepts it, the charge starts and StartTransaction carries the idTag."""
    central = tag(rfid, "central")
    t_b = plug_in_asking(charger, ev)
    trace.wait_for("LED", "yellow/flash", after=t_b, timeout=float(param("answer_s")))
    mark = csms.mark()
    t_tag = ev.time()
    rfid.present(central.name)
    asked = csms.wait_for("Authorize", since=mark, timeout=float(param("answer_s")))
    step(record, asked is not None and asked.payload.get("idTag") == central.uid,
         "authorize_idtag", expected=central.uid,
         seen=None if asked is None else asked.payload.get("idTag"))
    closed = trace.wait_for("CONTACTOR", 1, after=t_tag,
                            timeout=float(param("answer_s")) + budget("TM-01"))
    step(record, closed is not None, "charges_after_central_accept", tag=central.uid)
    start = csms.wait_for("StartTransaction", since=mark, timeout=float(param("answer_s")))
    id_tag = None if start is None else start.payload.get("idTag")
    step(record, id_tag == central.uid, "start_transaction_idtag", expected=central.uid,
         seen=id_tag)


@pytest.mark.requirement("PR-02")
@pytest.mark.lg_feature("led-sensor")
def test_a_refused_tag_flashes_red_and_never_charges(rfid, charger, ev, trace, clock, csms,
                                                     record):
    """A tag the central system refuses: flashing red, and the vehicle never charges."""
    refused = tag(rfid, "refused")
    t_b = plug_in_asking(charger, ev)
    trace.wait_for("LED", "yellow/flash", after=t_b, timeout=float(param("answer_s")))
    t_tag = ev.time()
    rfid.present(refused.name)
    red = trace.wait_for("LED", param("refused_led"), after=t_tag,
                         timeout=float(param("answer_s")))
    step(record, red is not None, "refused_led", expected=param("refused_led"),
         seen=leds(trace, t_tag))
    rfid.withdraw()
    clock.sleep(float(param("wait_s")))
    closed = trace.first("CONTACTOR", 1, after=t_b)
    step(record, closed is None, "no_charge_refused", tag=refused.uid,
         waited_s=float(param("wait_s")))


@pytest.mark.requirement("PR-02")
@pytest.mark.lg_feature("led-sensor")
def test_a_tag_while_the_central_system_is_offline(rfid, charger, ev, trace, clock, csms,
                                                   record):
    """The offline rule (catalogue ``offline_rule``): with the central system unreachable, a
    tag the charger does not know is refused (flashing red, no charge), a tag of its local
    list still charges."""
    central, accepted = tag(rfid, "central"), tag(rfid, "accepted")
    rule = str(param("offline_rule"))
    csms.set_reachable(False)
    try:
        t_b = plug_in_asking(charger, ev)
        trace.wait_for("LED", "yellow/flash", after=t_b, timeout=float(param("answer_s")))
        t_tag = ev.time()
        rfid.present(central.name)
        red = trace.wait_for("LED", param("refused_led"), after=t_tag,
                             timeout=float(param("answer_s")))
        rfid.withdraw()
        clock.sleep(float(param("wait_s")))
        closed = trace.first("CONTACTOR", 1, after=t_b)
        step(record, red is not None and closed is None, "offline_unknown_tag_refused",
             rule=rule, tag=central.uid, seen=leds(trace, t_tag))
        t_local = ev.time()
        rfid.present(accepted.name)
        closed = trace.wait_for("CONTACTOR", 1, after=t_local,
                                timeout=float(param("answer_s")) + budget("TM-01"))
        rfid.withdraw()
        step(record, closed is not None, "offline_local_tag_charges", rule=rule,
             tag=accepted.uid)
    finally:
        csms.set_reachable(True)
    if not csms.wait_connected(float(param("online_s"))):
        pytest.fail("the charger did not reconnect to the central system")
