"""Charger profiles: every behaviour parameter of the emulated ZapCharger Pro, with its unit.

A profile is YAML, merged over the shipped compliant default (``profiles/default.yaml``), then
over dotted ``key=value`` overrides. The keys listed in the project's ``profile-keys`` contract
keep their names and meanings for good: plans, benchmarks and the defect matrix depend on them.

Why pydantic with ``extra="forbid"``: a misspelt key must fail loudly (a defect profile that
silently does nothing would make a failing test look like a passing charger), and the error
must say which file, which key path and what was expected.

The one exception is ``firmware_options``: settings of the loaded firmware itself (another
team's image behind the HAL has settings this schema cannot know). The profile only checks that
it is a mapping and hands it to the firmware, which validates it and raises
:class:`zapcharger.hal.FirmwareOptionError` naming the key (the bench reports that as a
:class:`ProfileError` of ``firmware_options.<key>``). Refusing unknown keys stays the rule
everywhere else.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_PROFILE = Path(__file__).with_name("profiles") / "default.yaml"


class ProfileError(ValueError):
    """A profile file or override is wrong: names the source, the key path and the expectation."""

    def __init__(self, source: str, key: str, expected: str, line: int | None = None):
        self.source, self.key, self.expected, self.line = source, key, expected, line
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: key '{key}': {expected}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)


class Pilot(_Section):
    pwm_frequency_hz: float = Field(1000.0, gt=0, description="Hz, CP PWM frequency")
    duty_offset_pct: float = Field(0.0, description="% points added to every duty cycle")
    high_v: float = Field(12.0, description="V, positive CP rail (state A level)")
    low_v: float = Field(-12.0, description="V, negative CP rail")
    rise_time_us: float = Field(2.0, ge=0, description="us, 10-90 % rise time")
    fall_time_us: float = Field(2.0, ge=0, description="us, 90-10 % fall time")
    state_window_v: float = Field(
        1.5, gt=0, le=1.5, description="V, half width of the classifier window around each plateau"
    )
    diode_check: bool = Field(True, description="check the negative level before closing")
    diode_fault_shown: bool = Field(
        True, description="a missing vehicle diode is listed as DiodeFault (false: only no close)"
    )
    e_while_charging_only: bool = Field(
        False, description="look for E (CP shorted to PE) only while the contactor is closed "
        "(a defect: a vehicle in B keeps its PWM into the short)"
    )


class Timing(_Section):
    pwm_start_after_b_s: float = Field(0.2, ge=0, description="s, state B -> PWM on")
    close_after_c_s: float = Field(0.5, ge=0, description="s, state C/D -> contactor closed")
    open_after_b_s: float = Field(0.05, ge=0, description="s, C -> B -> contactor open")
    open_after_a_s: float = Field(0.05, ge=0, description="s, unplug -> contactor open")
    open_after_fault_s: float = Field(0.05, ge=0, description="s, CP fault -> contactor open")
    duty_update_s: float = Field(0.5, ge=0, description="s, new current limit -> new duty")
    duty_step_a: float = Field(
        0.0, ge=0, description="A per duty update when stepping to a new limit (0: one step)"
    )
    open_after_pwm_stop_s: float = Field(
        3.0, ge=0, description="s, PWM stopped while EV stays in C -> contactor opens (seq. 10.2)"
    )
    lock_before_close_s: float = Field(0.1, ge=0, description="s, lock engaged -> contactor close")
    task_period_s: float = Field(
        0.0, ge=0, description="s, PWM start and close only on ticks of this period (0: at once)"
    )
    housekeeping_s: float = Field(
        1.0, gt=0, le=3600, description="s, period of the housekeeping task (temperature, "
        "supply and meter sampled at least this often)"
    )
    open_jitter_s: float = Field(
        0.0, ge=0, description="s, the opening after C -> B or an unplug waits for the next tick "
        "of this period (a CP poll loop; 0: at once): the delay jitters by up to one period"
    )


class Cable(_Section):
    honour_pp: bool = Field(True, description="limit the advertised current to the PP rating")
    reject_invalid_pp: bool = Field(True, description="refuse to charge with missing/invalid PP")
    read_once: bool = Field(
        False, description="read the PP rating once per power-up and keep it (a defect)"
    )


class Rcd(_Section):
    dc_trip_ma: float = Field(4.5, gt=0, description="mA, smooth DC trip threshold (RDC-DD)")
    dc_trip_delay_s: float = Field(0.02, ge=0, description="s, extra DC trip delay")
    ac_trip_ma: float = Field(22.0, gt=0, description="mA, AC trip threshold")
    ac_trip_delay_s: float = Field(0.02, ge=0, description="s, extra AC trip delay")
    sensor_filter_s: float = Field(0.01, ge=0, description="s, time constant of the sensor filter")
    self_test: bool = Field(True, description="self-test before every charge cycle")
    self_test_ma: float = Field(10.0, gt=0, description="mA, current of the test winding")
    self_test_s: float = Field(0.1, ge=0, description="s, duration of the self-test")
    reset_on_unplug: bool = Field(True, description="a trip is cleared only by unplugging")
    unplug_clears: bool = Field(
        True, description="unplugging clears a trip (false: only a power cycle does)"
    )
    report_trip: bool = Field(True, description="LED red and OCPP Faulted/GroundFailure on trip")


class SoftStart(_Section):
    enabled: bool = Field(True, description="ramp the advertised current at charge start")
    start_a: float = Field(6.0, ge=0, description="A, first advertised current of the ramp")
    ramp_s: float = Field(10.0, ge=0, description="s, time from start_a to the target")
    step_s: float = Field(0.5, gt=0, description="s, interval between ramp steps")


class Meter(_Section):
    current_gain_pct: float = Field(0.0, description="%, gain error of the current channel")
    voltage_gain_pct: float = Field(0.0, description="%, gain error of the voltage channel")
    current_offset_a: float = Field(0.0, description="A, offset of the current channel")
    energy_gain_pct: float = Field(
        0.0, description="%, error of the energy path alone (register and test output)")
    register_resolution_wh: float = Field(1.0, gt=0, description="Wh, one count of the register")
    test_output_imp_kwh: float = Field(
        10000.0, gt=0, le=1e6,
        description="imp/kWh, constant of the meter's test output (LED/S0 pulses), as programmed")
    test_output_error_pct: float = Field(
        0.0, gt=-100.0,
        description="%, the test output pulses off its constant (disagrees with the register)")


class Supply(_Section):
    min_v: float = Field(195.5, ge=0, description="V, below this phase voltage: stop")
    max_v: float = Field(264.5, ge=0, description="V, above this phase voltage: stop")
    restart_hysteresis_v: float = Field(5.0, ge=0, description="V, back inside by this to restart")
    off_below_v: float = Field(90.0, ge=0, description="V on L1 under which the electronics die")

    @model_validator(mode="after")
    def _window(self) -> Supply:
        # here rather than on the profile, so the error names the section (and its line)
        if self.min_v >= self.max_v:
            raise ValueError(
                f"supply.min_v ({self.min_v:g} V) must be below supply.max_v ({self.max_v:g} V)")
        return self


class Limits(_Section):
    max_current_a: float = Field(32.0, ge=6, le=80, description="A, hardware current limit")
    hold_lowered: bool = Field(
        False, description="a lowered limit is not raised again while the PWM runs (a defect)"
    )


class Thermal(_Section):
    derate_start_c: float = Field(60.0, description="C, derating starts")
    stop_c: float = Field(75.0, description="C, charging stops")
    resume_c: float = Field(55.0, description="C, charging resumes after a thermal stop")
    self_heating_c_per_a2: float = Field(0.01, ge=0, description="C per A^2 of phase current")


class Identity(_Section):
    model_config = ConfigDict(
        extra="forbid", strict=False, coerce_numbers_to_str=True, validate_assignment=True
    )

    serial: str = Field("ZCS000001", description="serial on console, OCPP and CAN")
    firmware: str = Field("2.14.0", description="firmware version reported")
    vendor: str = Field("ZapCharger", description="OCPP chargePointVendor")
    model: str = Field("ZapCharger Pro", description="OCPP chargePointModel")


class Boot(_Section):
    time_s: float = Field(150.0, ge=0, description="s, power-up -> ready (datasheet 2-3 min)")
    factory_jumper: bool = Field(
        False, description="the factory jumper is fitted (a pogo pin of the production line's "
        "test nest): the firmware boots in factory mode, skipping the modem registration and "
        "the cloud wait of a normal boot")
    factory_time_s: float = Field(5.0, ge=0, description="s, power-up -> ready in factory "
                                  "mode (factory_jumper fitted)")


class Auth(_Section):
    required: bool = Field(False, description="wait for an accepted RFID tag before charging "
                           "(at power-up; OCPP ChangeConfiguration AuthorizationRequired sets it "
                           "and flash keeps it)")
    accepted_tags: list[str] = Field(default_factory=lambda: ["04A1B2C3D4"],
                                     description="the local list: accepted without asking")
    enforce: bool = Field(True, description="false (a defect): charges without a tag even "
                          "when authorisation is required")
    honour_refusal: bool = Field(True, description="false (a defect): a refused tag still "
                                 "authorises the session (it flashes red all the same)")
    accepted_flash_s: float = Field(2.0, ge=0, description="s, green flash of an accepted tag "
                                    "(0, a defect: no green flash)")
    latch_after_first_session: bool = Field(
        False, description="(a defect) the authorisation is lost for good when the first session "
        "of a power-up ends: no later session charges until a power cycle"
    )


class Ventilation(_Section):
    allow_state_d: bool = Field(False, description="charge in state D (needs ventilation)")
    stop_on_d_while_charging: bool = Field(
        True, description="open when a charging vehicle asks for D (false: only refuse to close)"
    )


class Lock(_Section):
    fitted: bool = Field(True, description="the socket has a lock actuator")
    lock_before_close: bool = Field(True, description="lock before closing the contactor")


class Can(_Section):
    status_period_s: float = Field(1.0, gt=0, description="s, period of the status frame")
    node_id: int = Field(1, ge=0, le=15, description="CAN node id (low nibble of frame ids)")


class Ocpp(_Section):
    heartbeat_s: int = Field(300, gt=0, description="s, heartbeat interval")
    meter_values_s: int = Field(60, gt=0, description="s, MeterValues sample interval")
    energy_scale: float = Field(1.0, gt=0, description="factor on the energy reported in OCPP")
    call_timeout_s: float = Field(
        30.0, gt=0, description="s, a CALL without answer is given up (transactions: retried)"
    )
    firmware_download_s: float = Field(
        5.0, ge=0, description="s, UpdateFirmware: download time (LED purple)"
    )
    firmware_install_s: float = Field(
        10.0, ge=0, description="s, UpdateFirmware: install time before the reboot"
    )
    security_profile: int = Field(
        0, ge=0, le=2, description="OCPP 1.6 security profile: 0 none (ws://), 1 HTTP basic "
        "auth (ws://), 2 TLS with the central system's certificate + basic auth (wss://)"
    )
    authorization_key: str = Field(
        "", description="the charger's password for basic auth (AuthorizationKey; profiles 1 "
        "and 2): 16-40 printable ASCII characters"
    )
    ca_certificate: str = Field(
        "", description="PEM file of the CA the central system's certificate must chain to "
        "(CentralSystemRootCertificate; profile 2)"
    )

    @model_validator(mode="after")
    def _key(self) -> Ocpp:
        # the key alone (overrides are checked one by one, so "profile 1 needs a key" is the
        # link's check when it connects: zapcharger.ocpp.link_security)
        key = self.authorization_key
        if key and not (16 <= len(key) <= 40 and all(" " < c <= "~" for c in key)):
            raise ValueError("ocpp.authorization_key: 16-40 printable ASCII characters (no "
                             f"spaces), got {len(key)} characters")
        return self


class Installation(_Section):
    """The installation controller's behaviour (``zapcharger.installation``): what the product
    does when it distributes a site's main fuse over its stations. The fuse and the wiring are
    the installer's data (the installation file), not the product's."""

    min_current_a: float = Field(6.0, ge=6, le=32, description="A, least current a vehicle "
                                 "is given (below it, it waits in the queue)")
    learn_after_s: float = Field(20.0, gt=0, description="s after a charge starts: ask for a "
                                 "meter sample to learn the vehicle's phases")
    raise_delay_s: float = Field(1.0, ge=0, description="s, a raised limit waits this long "
                                 "after lowered ones (so the sum never passes the fuse)")
    respect_fuse: bool = Field(True, description="share the main fuse (false: every vehicle "
                               "gets the station maximum, a defect)")
    fair: bool = Field(True, description="max-min fair shares (false: stations filled in "
                       "their order, the last ones starve, a defect)")
    phase_distribution: bool = Field(True, description="a new vehicle's L1 on the least "
                                     "loaded feed phase (false: always on L1, a defect)")


class Safety(_Section):
    """What the production routine safety tests see of the unit's hardware (read by the bench's
    electrical safety tester, never by the firmware): a defective unit is one line, like any
    other defect (a loose PE screw, a damp PCB, a pinched wire)."""

    pe_resistance_ohm: float = Field(
        0.03, ge=0, description="ohm, protective earth: PE terminal to the enclosure/socket PE"
    )
    insulation_mohm: float = Field(
        500.0, gt=0, description="Mohm, live parts (L1-L3 and N together) to PE at 500 V DC"
    )
    hipot_leakage_ma: float = Field(
        0.8, ge=0, description="mA rms, leakage live parts -> PE at the 1500 V AC hipot "
        "(mostly the EMC filter's Y capacitors: scales with the test voltage)"
    )


class Profile(_Section):
    """The whole charger: hardware characteristics and firmware behaviour."""

    firmware_entry: str = Field(
        "zapcharger:Firmware",
        description="module:Class of the firmware the bench loads, or c:PATH of a shared "
        "library implementing include/evse_hal.h",
    )
    firmware_options: dict[str, Any] = Field(
        default_factory=dict,
        description="settings of the loaded firmware, validated by that firmware "
        "(--charger-set firmware_options.<key>=<value>)",
    )
    pilot: Pilot = Field(default_factory=Pilot)
    timing: Timing = Field(default_factory=Timing)
    cable: Cable = Field(default_factory=Cable)
    rcd: Rcd = Field(default_factory=Rcd)
    soft_start: SoftStart = Field(default_factory=SoftStart)
    meter: Meter = Field(default_factory=Meter)
    supply: Supply = Field(default_factory=Supply)
    limits: Limits = Field(default_factory=Limits)
    thermal: Thermal = Field(default_factory=Thermal)
    identity: Identity = Field(default_factory=Identity)
    boot: Boot = Field(default_factory=Boot)
    auth: Auth = Field(default_factory=Auth)
    ventilation: Ventilation = Field(default_factory=Ventilation)
    lock: Lock = Field(default_factory=Lock)
    can: Can = Field(default_factory=Can)
    ocpp: Ocpp = Field(default_factory=Ocpp)
    safety: Safety = Field(default_factory=Safety)
    installation: Installation = Field(default_factory=Installation)


def _yaml_lines(text: str) -> dict[str, int]:
    """Map dotted key paths of a YAML mapping to their 1-based line numbers."""
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                path = f"{prefix}{key_node.value}"
                lines[path] = key_node.start_mark.line + 1
                walk(value_node, path + ".")

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return lines
    if root is not None:
        walk(root, "")
    return lines


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _expected(error: dict[str, Any]) -> str:
    kind, msg = error.get("type", ""), error.get("msg", "")
    msg = msg.removeprefix("Value error, ")
    if kind == "model_type":  # a section given as a value
        section = ".".join(str(p) for p in error.get("loc", ()))
        msg = f"a section: a mapping of its keys ({section}.<key>: value)"
    if kind == "extra_forbidden":
        key = ".".join(str(p) for p in error["loc"])
        near = difflib.get_close_matches(key, known_keys(), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(near)}?" if near else "; see zapcharger/profile.py"
        return f"unknown key (not part of the profile{hint})"
    got = error.get("input")
    if isinstance(got, dict | list):
        return msg
    return f"{msg} (got {got!r})"


def _validate(data: dict[str, Any], source: str, lines: dict[str, int]) -> Profile:
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "<top level>"
        line = lines.get(key)
        raise ProfileError(source, key, _expected(err), line) from None


def read_yaml_mapping(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """Read a YAML file that must hold a mapping; return it and its key line numbers."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(str(path), "<file>", f"a readable YAML file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ProfileError(str(path), "<file>", f"UTF-8 text ({exc.reason} at byte "
                                                f"{exc.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfileError(str(path), "<file>", f"valid YAML ({problem})", line) from None
    except RecursionError:
        raise ProfileError(str(path), "<file>", "YAML nested less deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a value YAML cannot build
        key, line = _bad_value(text)
        raise ProfileError(str(path), key, f"a valid value ({exc})", line) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProfileError(str(path), "<top level>", "a mapping of sections (pilot:, timing:, ...)")
    return data, _yaml_lines(text)


def _bad_value(text: str) -> tuple[str, int | None]:
    """Key path and line of the first scalar YAML cannot build (a date 2027-13-01)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return "<file>", None
    loader = yaml.SafeLoader("")
    todo: list[tuple[str, Any, Any]] = [("", root, None)] if root is not None else []
    while todo:
        path, node, key = todo.pop(0)
        prefix = f"{path}." if path else ""
        if isinstance(node, yaml.MappingNode):
            todo += [(f"{prefix}{k.value}", v, k) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            todo += [(f"{prefix}{i}", v, None) for i, v in enumerate(node.value)]
        else:
            try:
                loader.construct_object(node)
            except Exception:
                return path or "<top level>", (key or node).start_mark.line + 1
    return "<file>", None


def parse_override(item: str) -> tuple[str, Any]:
    """Split ``"timing.open_after_b_s=0.15"`` into a key path and a YAML-typed value."""
    if "=" not in item:
        raise ProfileError("--charger-set", item, "KEY=VALUE with a dotted key")
    key, _, raw = item.partition("=")
    key = key.strip()
    if not key:
        raise ProfileError("--charger-set", item, "a dotted key before '='")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError):
        value = raw  # not YAML: the text itself (the model says what it should be)
    return key, value


def _set_dotted(data: dict[str, Any], key: str, value: Any, source: str) -> None:
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if not isinstance(node, dict):
            raise ProfileError(source, key, f"a known key ({'.'.join(parts[:i])} is a value, "
                                            "not a section)")
        node = node.setdefault(part, {})
    if not isinstance(node, dict):
        raise ProfileError(source, key, f"a known key ({'.'.join(parts[:-1])} is a value, not "
                                        "a section)")
    node[parts[-1]] = value


def known_keys() -> list[str]:
    """Every dotted key a profile may set (for help texts and error messages)."""
    keys: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            ann = info.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, f"{prefix}{name}.")
            else:
                keys.append(f"{prefix}{name}")

    walk(Profile, "")
    return keys


def load_profile(
    path: str | Path | None = None,
    overrides: dict[str, Any] | list[str] | None = None,
) -> Profile:
    """Default profile, merged with ``path`` (if any), then with dotted ``overrides``."""
    data, _ = read_yaml_mapping(DEFAULT_PROFILE)
    lines: dict[str, int] = {}
    source = str(DEFAULT_PROFILE)
    if path is not None:
        source = str(path)
        user, lines = read_yaml_mapping(Path(path))
        _validate(_deep_merge(data, user), source, lines)  # report the file's own errors first
        data = _deep_merge(data, user)
    if overrides:
        items = (
            [parse_override(o) for o in overrides]
            if isinstance(overrides, list)
            else list(overrides.items())
        )
        for key, value in items:
            _set_dotted(data, key, value, "--charger-set")
            try:
                Profile.model_validate(data)
            except ValidationError as exc:
                err = exc.errors()[0]
                loc = ".".join(str(p) for p in err["loc"])
                if err.get("type") == "extra_forbidden" and key.startswith(f"{loc}."):
                    # a section that does not exist (no.such.knob): name the key given
                    err = {**err, "loc": tuple(key.split("."))}
                    loc = key
                raise ProfileError("--charger-set", loc or key, _expected(err)) from None
    return _validate(data, source, lines)


def profile_value(profile: Profile, key: str) -> Any:
    """Read a dotted key of a profile (``"timing.open_after_b_s"``)."""
    node: Any = profile
    for part in key.split("."):
        if not hasattr(node, part):
            raise ProfileError("profile", key, f"one of the known keys ({', '.join(known_keys())})")
        node = getattr(node, part)
    return node


__all__ = [
    "DEFAULT_PROFILE",
    "Profile",
    "ProfileError",
    "known_keys",
    "load_profile",
    "parse_override",
    "profile_value",
]
