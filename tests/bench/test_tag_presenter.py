"""The tag presenter: the relay driver (``RelayTagPresenter``) through labgrid's own
``HttpDigitalOutputDriver`` against the bench's relay board (a real HTTP server), and the
charger's reader seeing the tag (its HAL input, no console command).

What each test proves: the charger accepts a tag of its local list when an arm puts it on the
reader; two tags at once collide (the reader reads neither); an arm that does not follow is
the rig's error naming the tag, and the safe state still lifts every other arm; a rig file's
tag with a bad UID, answer or output is refused with file, line and what was expected.
"""

from __future__ import annotations

import pytest
from labgrid import Target
from labgrid.driver import HttpDigitalOutputDriver
from labgrid.resource import HttpDigitalOutput

from rig.bench.tag_board import TAGS, tag_on_reader
from rig.errors import ConfigError
from rig.instruments.protocols import Tag
from rig.instruments.tag_presenter import RelayTagPresenter, TagPresenterError
from tests.bench.conftest import real_firmware_available

ANSWERS = ("accepted", "refused", "central")


def presenter_for(bench) -> RelayTagPresenter:  # type: ignore[no-untyped-def]
    """Three arms, each a labgrid HttpDigitalOutput + its driver on the bench's board."""
    target = Target("tags")
    outputs = {}
    for k in range(1, len(TAGS) + 1):
        name = ANSWERS[k - 1]
        HttpDigitalOutput(target, name=f"arm{k}", url=f"{bench.addresses()['tags']}/slot/{k}",
                          body_asserted="1", body_deasserted="0")
        target.set_binding_map({"http": f"arm{k}"})
        drv = HttpDigitalOutputDriver(target, name=f"arm{k}")
        target.activate(drv)
        outputs[name] = drv
    tags = {ANSWERS[k]: Tag(ANSWERS[k], uid, ANSWERS[k]) for k, (uid, _) in enumerate(TAGS)}
    return RelayTagPresenter(tags, outputs)


@pytest.mark.skipif(not real_firmware_available(), reason="zapcharger.Firmware not ready")
def test_the_charger_reads_the_tag_an_arm_puts_on_its_reader(bench, links):
    links["ac1"].write("VOLT 230;OUTP ON")
    links["ctrl"].write("BENCH:TIME:ADV 160")  # boot (150 s) and ready
    presenter = presenter_for(bench)
    presenter.present("accepted")
    assert presenter.presented() == "accepted" and bench.bench.tag_uid == TAGS[0][0]
    status = bench.bench.firmware.status()
    assert status["authorised"] and status["id_tag"] == TAGS[0][0]
    presenter.present("central")  # the first arm is lifted before the next goes down
    assert bench.tag_board.slots == [False, False, True]
    presenter.withdraw()
    assert presenter.presented() is None and bench.bench.hal.rfid_uid is None


def test_two_tags_on_the_reader_collide():
    assert tag_on_reader([True, False, False]) == TAGS[0][0]
    assert tag_on_reader([True, False, True]) is None
    assert tag_on_reader([False, False, False]) is None


@pytest.mark.stub_firmware
def test_a_jammed_arm_is_the_rigs_error_and_the_others_still_lift(bench):
    presenter = presenter_for(bench)
    presenter.present("refused")
    bench.tag_board.stuck.add(1)  # slot 2: the refused tag's arm stays down
    with pytest.raises(TagPresenterError, match=r"arm of tag 'refused' told up, reads down"):
        presenter.present("accepted")
    bench.tag_board.slots[0] = True
    with pytest.raises(TagPresenterError, match="'refused'"):
        presenter.withdraw()
    assert bench.tag_board.slots == [False, True, False]  # every other arm was lifted


@pytest.mark.parametrize(("line", "says"), [
    ('{name: t, uid: "04-A1", answer: accepted, output: arm1}', "uid: the tag's UID in hex"),
    ('{name: t, uid: "04A1B2C3D4", answer: maybe, output: arm1}', "answer: one of accepted"),
])
def test_a_bad_rfid_tag_in_the_rig_file_is_named(tmp_path, line, says):
    from rig.labgrid.loader import load_rig

    rig = tmp_path / "rig.yaml"
    rig.write_text("imports: [rig.labgrid]\ntargets:\n  main:\n    resources:\n"
                   f"      - RfidTag: {line}\n")
    with pytest.raises(ConfigError) as err:
        load_rig(rig)
    assert "rig.yaml:5" in str(err.value) and "RfidTag 't'" in str(err.value)
    assert says in str(err.value)


@pytest.mark.stub_firmware
def test_the_rig_sessions_safe_state_lifts_every_arm(bench, monkeypatch, tmp_path):
    from labgrid import Environment

    from rig.pytest_plugin.rig import RigSession
    from tests.plan.runner import ROOT

    for key, value in bench.environment().items():
        monkeypatch.setenv(key, value)
    session = RigSession(Environment(str(ROOT / "rigs" / "emulator.yaml")), None)
    session.tag_presenter = session._open_tag_presenter()
    assert set(session.tag_presenter.tags) == {"accepted", "refused", "central"}
    session.tag_presenter.present("refused")
    assert bench.tag_board.slots == [False, True, False]
    assert session.make_safe(supply_off=False) == []
    assert bench.tag_board.slots == [False, False, False]
    session.close()
    text = (ROOT / "rigs" / "emulator.yaml").read_text().replace("output: tag_arm_3",
                                                                 "output: tag_arm_9")
    (tmp_path / "rig.yaml").write_text(text)
    broken = RigSession(Environment(str(tmp_path / "rig.yaml")), None)
    with pytest.raises(ConfigError, match=r"RfidTag 'central', output: the name of a "
                       r"digital-output driver of the rig file \('tag_arm_9' is none"):
        broken._open_tag_presenter()
    broken.close()


@pytest.mark.stub_firmware
def test_the_safe_state_costs_nothing_when_no_arm_moved(bench):
    presenter = presenter_for(bench)
    presenter.withdraw()
    writes = bench.tag_board.writes
    presenter.make_safe()  # after a test that used no tag: no request at all
    assert bench.tag_board.writes == writes
    presenter.present("central")
    presenter.make_safe()
    assert bench.tag_board.slots == [False, False, False]
    assert bench.tag_board.writes == writes + 3 + 3
