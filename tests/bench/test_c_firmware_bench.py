"""A firmware written in C on the bench: loaded by ``firmware_entry: c:PATH``, its refused
options reported by key, and the CP generator's disconnected output seen by the vehicle.

The example firmware (firmware-under-test/examples/c-evse) is compiled with the system compiler
into a temporary directory; without one the tests skip with the reason, unless
RIG_TEST_CC_REQUIRED is set (CI).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from zapcharger import cabi
from zapcharger.profile import ProfileError, load_profile

from rig.bench.bench import Bench, BenchError
from rig.bench.model import cp_levels


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> str:
    if cabi.compiler() is None:
        if os.environ.get("RIG_TEST_CC_REQUIRED"):
            pytest.fail("RIG_TEST_CC_REQUIRED is set but no C compiler was found")
        pytest.skip("no C compiler ($CC, cc or gcc): the C example firmware cannot be built")
    out = tmp_path_factory.mktemp("cfw") / "libevse_example.so"
    return str(cabi.build_library([cabi.EXAMPLE], out))


def c_bench(lib: str, **options: object) -> Bench:
    overrides = {"firmware_entry": f"c:{lib}",
                 **{f"firmware_options.{k}": v for k, v in options.items()}}
    return Bench(load_profile(overrides=overrides))


def test_disconnected_generator_reads_as_state_e_on_both_sides() -> None:
    assert cp_levels("disconnected", 12.0, 12.0, -12.0, 2740.0, "NONE") == (0.0, 0.0)
    assert cp_levels("disconnected", 12.0, 12.0, -12.0, None, "NONE") == (0.0, 0.0)
    with pytest.raises(ValueError, match="one of static, pwm, disconnected"):
        cp_levels("floating", 12.0, 12.0, -12.0, None, "NONE")


def test_the_c_firmware_runs_behind_the_hal(example: str) -> None:
    bench = c_bench(example, boot_s=1.0)
    bench.ev.state, bench.ev.pp_ohm = "B", 220.0
    bench.changed()
    assert bench.hal.cp_mode == "disconnected"  # unpowered: the generator is off the line
    assert bench.cp() == (0.0, 0.0) and bench.ev_sees_state() == "E"
    bench.sources["ac3"].output = True
    bench.changed()
    bench.advance(1.0)  # boot over exactly at 1.0 s; PWM 0.1 s later
    assert bench.ev_sees_state() == "B1"
    bench.advance(0.1)
    assert bench.ev_sees_state() == "B2" and bench.advertised_a() == pytest.approx(32.0, abs=0.1)
    kinds = [(e.kind, e.value) for e in bench.trace.events if e.kind == "CP"]
    assert kinds == [("CP", "E"), ("CP", "B1"), ("CP", "B2")]
    pwm = [e for e in bench.trace.events if e.kind == "PWM" and e.value != "OFF"]
    assert pwm[0].t == pytest.approx(1.1, abs=1e-9)


def test_an_option_the_c_firmware_refuses_is_a_profile_error_naming_it(example: str) -> None:
    with pytest.raises(ProfileError) as info:
        c_bench(example, pwm_hz="fast")
    assert info.value.key == "firmware_options.pwm_hz"
    assert info.value.source == f"firmware c:{example}"
    assert "a number from 1 to 100000 (got 'fast')" in str(info.value)


def test_a_missing_library_is_a_bench_error(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="no such shared library"):
        Bench(load_profile(overrides={"firmware_entry": f"c:{tmp_path}/nothing.so"}))


def test_rig_bench_serve_reports_a_firmware_that_cannot_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rig.cli import main

    code = main(["bench", "serve", "--set", f"firmware_entry=c:{tmp_path}/nothing.so"])
    assert code == 2
    err = capsys.readouterr().err
    assert "rig bench serve: cannot start the bench: cannot load firmware" in err
    assert "no such shared library" in err and "Traceback" not in err
    code = main(["bench", "serve", "--set", "firmware_options.pwm_hz=1"])
    assert code == 2
    assert "key 'firmware_options.pwm_hz'" in capsys.readouterr().err
