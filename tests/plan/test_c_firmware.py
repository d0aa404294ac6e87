"""Another team's firmware, first-class: the example firmware written in C
(firmware-under-test/examples/c-evse) is compiled with the system compiler, put behind the HAL
with ``firmware_entry: c:PATH`` and run through the CP, TM and PP groups of the plan, as the
README's "Your firmware behind the HAL" tells a firmware team to do.

The example comes with its product file (examples/c-evse/product.yaml: its console, no meter,
the product claims it makes). Compliant by default, every requirement of those groups and every
claim it makes must PASS (a product requirement it does not claim is NOT_RUN); each defect
switch (a firmware option, passed through the profile to the firmware) must make exactly its
requirements FAIL while the rest of its group PASSes; an option the firmware refuses is a rig
ERROR naming the key. The runs are real pytest runs of the plan, started together as a pool
(one per CPU) when the first test needs one.

Cost: one run per group with that group's switches together (they touch different
requirements: each FAIL has one switch that can cause it), plus one compliant run of the three
groups and one single-test run with a refused option: five runs instead of one per switch.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from zapcharger import cabi

from rig.catalogue import load_catalogue
from rig.product import load_product
from tests.plan.runner import PLAN, PlanRun, run_plan

GROUPS = ("CP", "TM", "PP")
MODULES = {"CP": "test_control_pilot.py", "TM": "test_timing.py", "PP": "test_cable.py"}

#: Defect switch (firmware option) -> the requirements it must make FAIL. The option names
#: are the example's (docs/firmware-c-abi.md).
SWITCHES: dict[str, tuple[str, ...]] = {
    "pwm_hz=1030": ("CP-03",),                   # 1030 Hz: outside 1 kHz +/- 2 %
    "diode_check=false": ("CP-07", "PR-09"),     # closes on a vehicle without its diode and
                                                 # shows no fault (a claim of its product file)
    "open_delay_s=0.3": ("TM-02", "TM-03"),      # contactor opens 300 ms after B or A
    "open_after_pwm_stop_s=8": ("TM-05",),       # PWM stopped, EV in C: opens after 8 s
    "pp_20a_rating_a=16": ("PP-01",),            # 20 A cable coding taken for 16 A
}
BAD_OPTION = "pwm_hzz=1000"
#: One test is enough to see a refused option stop the run as a rig ERROR.
BAD_OPTION_TEST = "test_cable.py::test_socket_locked_before_contactor_closes"


def _group(rid: str) -> str:
    return rid.split("-", 1)[0]


def switches_of(group: str) -> list[str]:
    return [s for s, fails in SWITCHES.items() if _group(fails[0]) == group]


class Runs:
    """Every plan run of this module, started at once on a pool; ``result(key)`` waits."""

    def __init__(self, lib: str):
        self._tmp = tempfile.TemporaryDirectory(prefix="c-firmware-")
        entry = ["--charger-set", f"firmware_entry=c:{lib}", "--product",
                 str(cabi.EXAMPLE_PRODUCT)]
        jobs: dict[str, tuple[list[str], tuple[str, ...]]] = {
            "compliant": (entry, tuple(MODULES.values()))}
        for group in GROUPS:
            args = list(entry)
            for switch in switches_of(group):
                args += ["--charger-set", f"firmware_options.{switch}"]
            jobs[group] = (args, (MODULES[group],))
        jobs["bad-option"] = ([*entry, "--charger-set", f"firmware_options.{BAD_OPTION}"],
                              (BAD_OPTION_TEST,))
        self._pool = ThreadPoolExecutor(max(1, min(len(jobs), os.cpu_count() or 1)))
        self._futures: dict[str, Future[PlanRun]] = {}
        for n, (key, (args, modules)) in enumerate(jobs.items()):
            folder = Path(self._tmp.name) / f"run{n}"
            folder.mkdir()
            self._futures[key] = self._pool.submit(run_plan, folder, *args, modules=modules)

    def result(self, key: str) -> PlanRun:
        return self._futures[key].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._tmp.cleanup()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    if cabi.compiler() is None:
        if os.environ.get("RIG_TEST_CC_REQUIRED"):
            pytest.fail("RIG_TEST_CC_REQUIRED is set but no C compiler was found")
        pytest.skip("no C compiler ($CC, cc or gcc): the C example firmware cannot be built")
    lib = cabi.build_library([cabi.EXAMPLE], tmp_path_factory.mktemp("cfw") / "libevse.so")
    handle = Runs(str(lib))
    yield handle
    handle.close()


def _product(rid: str) -> bool:
    return load_catalogue(PLAN / "requirements.yaml").requirement(rid).source == "product"


def test_compliant_c_firmware_passes_the_cp_tm_and_pp_groups(runs: Runs) -> None:
    run = runs.result("compliant")
    ours = {rid: r for rid, r in run.verdicts["requirements"].items() if _group(rid) in GROUPS}
    assert ours, run.output[-3000:]
    for rid, r in ours.items():
        if r["verdict"] == "NOT_RUN":  # only a product claim this firmware does not make
            assert _product(rid), f"{rid} NOT_RUN: {r['reasons']}"
        else:
            assert r["verdict"] == "PASS", f"{rid}: {r['verdict']}\n{run.output[-3000:]}"
    assert sum(r["verdict"] == "PASS" for r in ours.values()) >= 15
    claims = load_product(cabi.EXAMPLE_PRODUCT).claims
    assert claims and all(run.verdict(rid) == "PASS" for rid in claims), run.output[-3000:]
    assert run.verdicts["charger"]["serial"] == "CEX000001"  # its own console answered


@pytest.mark.parametrize("group", GROUPS)
def test_the_defect_switches_fail_exactly_their_requirements(runs: Runs, group: str) -> None:
    run = runs.result(group)
    verdicts = {rid: r["verdict"] for rid, r in run.verdicts["requirements"].items()}
    failed = {rid for rid, v in verdicts.items() if v == "FAIL"}
    expected = {rid for switch in switches_of(group) for rid in SWITCHES[switch]}
    assert failed == expected, run.output[-3000:]
    others = {rid: v for rid, v in verdicts.items()
              if _group(rid) == group and rid not in failed and v != "NOT_RUN"}
    assert others and set(others.values()) == {"PASS"}, others


def test_an_option_the_firmware_refuses_is_a_rig_error_naming_the_key(runs: Runs) -> None:
    run = runs.result("bad-option")
    key = BAD_OPTION.partition("=")[0]
    executed = run.executed()
    assert executed and set(executed.values()) == {"ERROR"}, executed
    assert f"firmware_options.{key}" in run.output
    assert "unknown option of evse_example" in run.output
    assert "Traceback" not in run.output
