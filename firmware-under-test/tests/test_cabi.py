"""The C ABI of the HAL (include/evse_hal.h) and its loader (zapcharger/cabi.py).

Compiled with the system compiler into a temporary directory: the header's structs against the
loader's (offsets and sizes as the compiler lays them out), the example firmware's options
(applied, refused with the key), the HAL contract of next_event_in() and the disconnected CP
generator. No compiler: skipped with the reason, unless RIG_TEST_CC_REQUIRED is set (CI).
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from zapcharger import cabi
from zapcharger.hal import CP_MODES, LED_COLOURS, FirmwareOptionError, HalIo
from zapcharger.profile import load_profile


def _need_compiler() -> None:
    if cabi.compiler() is None:
        if os.environ.get("RIG_TEST_CC_REQUIRED"):
            pytest.fail("RIG_TEST_CC_REQUIRED is set but no C compiler ($CC, cc, gcc) was found")
        pytest.skip("no C compiler ($CC, cc or gcc): the C ABI cannot be built here")


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_compiler()
    return tmp_path_factory.mktemp("cabi")


@pytest.fixture(scope="module")
def example(build_dir: Path) -> str:
    """The example firmware, built as the README tells a firmware team to build theirs."""
    return str(cabi.build_library([cabi.EXAMPLE], build_dir / "libevse_example.so"))


def firmware(lib: str, **options: Any) -> Any:
    hal = HalIo()
    hal.console_lines = []  # type: ignore[attr-defined]
    hal.console_tx = hal.console_lines.append  # type: ignore[attr-defined]
    profile = load_profile(overrides={"firmware_entry": f"c:{lib}",
                                      **{f"firmware_options.{k}": v for k, v in options.items()}})
    return cabi.c_firmware_class(lib)(hal, profile)


def run(fw: Any, seconds: float) -> None:
    """A minimal host: react to the inputs now (tick(0)), then honour next_event_in(); no
    vehicle (the CP reads what the generator drives)."""
    end = seconds
    t = 0.0
    fw.tick(0.0)
    while True:
        hal = fw.hal
        hal.cp_high_v = hal.cp_low_v = hal.cp_static_v if hal.cp_mode == "static" else 0.0
        step = min(fw.next_event_in(), end - t)
        fw.tick(step)
        t += step
        if t >= end - 1e-12 and fw.next_event_in() > 0:
            return


def test_header_structs_match_the_loader(build_dir: Path) -> None:
    """The compiler's layout of every struct of the header equals the ctypes one, and the
    header's enums and constants equal the Python HAL's."""
    lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "evse_hal.h"',
             "int main(void) {"]
    structs = {"evse_inputs": cabi.Inputs, "evse_outputs": cabi.Outputs, "evse_host": cabi.Host,
               "evse_option": cabi.Option, "evse_error": cabi.Error}
    for cname, struct in structs.items():
        lines.append(f'printf("{cname} SIZE %zu\\n", sizeof({cname}));')
        for field, _ in struct._fields_:
            lines.append(f'printf("{cname} {field} %zu %zu\\n", offsetof({cname}, {field}), '
                         f'sizeof((({cname} *)0)->{field}));')
    consts = ["EVSE_HAL_ABI_VERSION", "EVSE_RFID_UID_MAX", "EVSE_CP_STATIC", "EVSE_CP_PWM",
              "EVSE_CP_DISCONNECTED", "EVSE_LED_OFF", "EVSE_LED_PURPLE", "EVSE_LED_FLASH"]
    lines += [f'printf("{c} %d\\n", (int){c});' for c in consts]
    lines.append("return 0; }")
    src = build_dir / "layout.c"
    src.write_text("\n".join(lines) + "\n")
    exe = build_dir / "layout"
    subprocess.run([*cabi.compiler().split(), "-std=c11", "-Wall", "-Werror", "-I",
                    str(cabi.HEADER.parent), str(src), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    seen: dict[str, Any] = {}
    for row in out.splitlines():
        parts = row.split()
        seen[" ".join(parts[:-2] if len(parts) == 4 else parts[:-1])] = parts[-2:] \
            if len(parts) == 4 else parts[-1]
    for cname, struct in structs.items():
        assert int(seen[f"{cname} SIZE"]) == ctypes.sizeof(struct), cname
        for field, _ in struct._fields_:
            desc = getattr(struct, field)
            assert [int(x) for x in seen[f"{cname} {field}"]] == [desc.offset, desc.size], \
                f"{cname}.{field}"
    assert int(seen["EVSE_HAL_ABI_VERSION"]) == cabi.ABI_VERSION
    assert int(seen["EVSE_RFID_UID_MAX"]) == cabi.RFID_UID_MAX
    modes = [int(seen[c]) for c in ("EVSE_CP_STATIC", "EVSE_CP_PWM", "EVSE_CP_DISCONNECTED")]
    assert [CP_MODES[m] for m in modes] == ["static", "pwm", "disconnected"]
    assert LED_COLOURS[int(seen["EVSE_LED_PURPLE"])] == "purple"
    assert int(seen["EVSE_LED_OFF"]) == 0 and int(seen["EVSE_LED_FLASH"]) == 1


def test_every_hal_field_crosses_the_boundary() -> None:
    """Nothing of the Python HAL is missing from the C structs, and nothing is extra."""
    fields = {f.name for f in dataclasses.fields(HalIo)} - {"console_tx", "can_tx", "ocpp_tx"}
    assert set(cabi.INPUT_FIELDS) | set(cabi.OUTPUT_FIELDS) == fields
    assert not set(cabi.INPUT_FIELDS) & set(cabi.OUTPUT_FIELDS)


def test_options_reach_the_c_firmware(example: str) -> None:
    fw = firmware(example, pwm_hz=1030, serial="CEX000042", boot_s=0.5)
    fw.hal.supply_v = (230.0, 230.0, 230.0)
    run(fw, 1.0)
    assert fw.hal.cp_mode == "static" and fw.hal.cp_static_v == 12.0
    assert fw.hal.cp_freq_hz == 1030.0
    fw.console_input("serial\n")
    assert "".join(fw.hal.console_lines).endswith("CEX000042\r\nOK\r\n")


@pytest.mark.parametrize(("options", "key", "expected"), [
    ({"pwm_hzz": 1000}, "pwm_hzz", "unknown option of evse_example (known: boot_s, pwm_hz,"),
    ({"pwm_hz": "fast"}, "pwm_hz", "a number from 1 to 100000 (got 'fast')"),
    ({"open_delay_s": -1}, "open_delay_s", "a number from 0 to 60 (got -1)"),
    ({"diode_check": "maybe"}, "diode_check", "true or false (got 'maybe')"),
])
def test_a_bad_option_is_refused_by_the_firmware_naming_the_key(
    example: str, options: dict[str, Any], key: str, expected: str
) -> None:
    with pytest.raises(FirmwareOptionError) as info:
        firmware(example, **options)
    assert info.value.key == key
    assert info.value.expected.startswith(expected)


def test_nested_options_arrive_as_dotted_keys(example: str) -> None:
    with pytest.raises(FirmwareOptionError) as info:
        firmware(example, **{"rcd.trip_ma": 6})
    assert info.value.key == "rcd.trip_ma"
    assert cabi.option_items({"a": {"b": True, "c": None}, "d": 1.5}) == [
        ("a.b", "true"), ("a.c", "null"), ("d", "1.5")]


def test_unpowered_the_generator_is_disconnected_and_nothing_is_pending(example: str) -> None:
    """The HAL contract: next_event_in() is a float, math.inf when only an input change can
    wake the firmware; powered, it is the time to the boot deadline."""
    fw = firmware(example, boot_s=2.0)
    fw.tick(0.0)
    assert fw.hal.cp_mode == "disconnected"
    assert fw.next_event_in() == math.inf
    fw.hal.supply_v = (230.0, 0.0, 0.0)
    fw.tick(0.0)
    assert fw.next_event_in() == pytest.approx(2.0)
    assert (fw.hal.led_colour, fw.hal.led_pattern) == ("yellow", "flash")


def test_a_library_that_is_no_firmware_is_refused(build_dir: Path) -> None:
    with pytest.raises(cabi.CAbiError, match="no such shared library"):
        cabi.c_firmware_class(str(build_dir / "missing.so"))
    partial = build_dir / "partial.c"
    partial.write_text('#include "evse_hal.h"\nuint32_t evse_abi_version(void) { return 1; }\n')
    lib = cabi.build_library([partial], build_dir / "libpartial.so")
    with pytest.raises(cabi.CAbiError, match="does not export evse_create, evse_destroy, "
                                             "evse_tick, evse_next_event_in"):
        cabi.c_firmware_class(str(lib))
    other = build_dir / "other.c"
    other.write_text(
        '#include "evse_hal.h"\nuint32_t evse_abi_version(void) { return 2; }\n'
        "evse_fw *evse_create(const evse_host *h, const evse_inputs *i, evse_outputs *o,\n"
        "  const evse_option *op, size_t n, evse_error *e) { (void)h; (void)i; (void)o;"
        " (void)op; (void)n; (void)e; return 0; }\n"
        "void evse_destroy(evse_fw *f) { (void)f; }\n"
        "void evse_tick(evse_fw *f, double dt) { (void)f; (void)dt; }\n"
        "double evse_next_event_in(const evse_fw *f) { (void)f; return 1.0; }\n")
    lib = cabi.build_library([other], build_dir / "libother.so")
    with pytest.raises(cabi.CAbiError, match="built for HAL ABI version 2; this rig speaks "
                                             "version 1"):
        cabi.c_firmware_class(str(lib))


def test_a_build_error_shows_the_compilers_message(build_dir: Path) -> None:
    broken = build_dir / "broken.c"
    broken.write_text("int evse_abi_version(void) { return undeclared; }\n")
    with pytest.raises(cabi.CAbiError, match="undeclared"):
        cabi.build_library([broken], build_dir / "libbroken.so")


def test_zapcharger_refuses_firmware_options_its_settings_are_profile_keys() -> None:
    from zapcharger import Firmware

    profile = load_profile(overrides={"firmware_options.pwm_hz": 1030})
    assert profile.firmware_options == {"pwm_hz": 1030}
    with pytest.raises(FirmwareOptionError) as info:
        Firmware(HalIo(), profile)
    assert info.value.key == "pwm_hz"
    assert "its settings are profile keys" in info.value.expected


def test_firmware_options_must_be_a_mapping() -> None:
    from zapcharger.profile import ProfileError

    with pytest.raises(ProfileError) as info:
        load_profile(overrides={"firmware_options": 5})
    assert info.value.key == "firmware_options"


def test_a_link_the_firmware_lacks_drops_and_counts_what_arrives(example: str) -> None:
    """The example exports no CAN and no OCPP functions: frames for them are dropped, counted,
    and shown in status() (what BENCH:CHAR:STAT? prints)."""
    fw = firmware(example)
    fw.can_receive(0x201, b"\x00\x01")
    fw.ocpp_connected(True)
    fw.ocpp_receive('[2,"1","Reset",{"type":"Soft"}]')
    status = fw.status()
    assert status["ignored"] == {"evse_console_input": 0, "evse_can_receive": 1,
                                 "evse_ocpp_receive": 1, "evse_ocpp_connected": 1}
    assert status["cp_mode"] == "disconnected" and status["next_event_in"] == math.inf
