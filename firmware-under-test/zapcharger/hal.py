"""The hardware abstraction layer: the one boundary between the charger firmware and the world.

Everything the firmware's microcontroller can see or drive is a field of :class:`HalIo`; the
host (the emulated bench, or a test) writes the *inputs*, calls :meth:`Firmware.tick`, and reads
the *outputs*. Byte streams (console, CAN, OCPP) go through callbacks the host installs.

Why a plain mutable record and not methods: a firmware written in C for the host can map the
same fields onto a ``struct`` with ctypes/cffi and take this firmware's place on the bench
(software in the loop) without the bench changing. The firmware never reads a clock: the host
passes elapsed time to :meth:`Firmware.tick`, and the firmware tells the host, through
:meth:`Firmware.next_event_in`, when it next needs to run, so a virtual-time bench can jump
straight to the next thing that happens and every timing lands exactly where the firmware put it.

Units are SI unless the name says otherwise (``_ma``, ``_us``).

The same contract exists as a C ABI (``firmware-under-test/include/evse_hal.h``, loaded by
:mod:`zapcharger.cabi`), field for field, so the two can never drift apart: the C header's
structs are checked against these fields by the test suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

#: LED colours and patterns of the status indicator (charger manual, LED "Z").
LED_COLOURS = ("off", "green", "blue", "yellow", "red", "purple")
LED_PATTERNS = ("solid", "flash")
#: CP generator modes: a static level, PWM between the rails, or disconnected from the line
#: (high impedance: a real pilot circuit opens its output relay/switch, e.g. while the EVSE is
#: unpowered or isolating a fault). Disconnected, the line is pulled to PE by the vehicle's
#: resistors and reads 0 V on both sides: the vehicle sees state E.
CP_MODES = ("static", "pwm", "disconnected")


class FirmwareOptionError(ValueError):
    """A firmware refuses one of its ``firmware_options`` (raised from its constructor).

    The rig does not know another team's settings, so it hands the whole ``firmware_options``
    mapping of the profile to the firmware and lets the firmware validate it; this error is how
    the firmware says which key is wrong and what it expected. The bench turns it into a rig
    ERROR naming ``firmware_options.<key>`` (never a FAIL of the charger, never a traceback).
    """

    def __init__(self, key: str, expected: str):
        self.key, self.expected = key, expected
        super().__init__(f"firmware option '{key}': {expected}")


@dataclass
class HalIo:
    """Inputs sampled and outputs driven by the firmware, as the MCU pins see them."""

    # ---- inputs: written by the host before each tick ----------------------------------
    #: CP ADC, positive plateau of the pilot (the static level when no PWM runs), V.
    cp_high_v: float = 0.0
    #: CP ADC, negative plateau while PWM runs (equal to the static level without PWM), V.
    cp_low_v: float = 0.0
    #: Resistance between PP and PE in the socket, ohm; ``None`` when no plug (open).
    pp_ohm: float | None = None
    #: r.m.s. phase-to-neutral voltage at the station's supply terminals, per phase, V.
    supply_v: tuple[float, float, float] = (0.0, 0.0, 0.0)
    supply_hz: float = 0.0
    #: Meter IC, per phase, at the outlet side of the contactor: true r.m.s. current (A),
    #: voltage (V) and active power (W). The firmware applies its own calibration.
    meter_i_a: tuple[float, float, float] = (0.0, 0.0, 0.0)
    meter_v_v: tuple[float, float, float] = (0.0, 0.0, 0.0)
    meter_p_w: tuple[float, float, float] = (0.0, 0.0, 0.0)
    #: Meter IC energy accumulators, per phase, Wh since power-up (true, monotonic). Like a
    #: real metering IC they integrate continuously, so the register is exact however
    #: seldom the firmware runs.
    meter_e_wh: tuple[float, float, float] = (0.0, 0.0, 0.0)
    #: Residual-current sensor outputs: smooth DC component and AC r.m.s. component, mA.
    #: While :attr:`rcd_test_winding` is on, a healthy sensor adds its test current.
    rcd_dc_ma: float = 0.0
    rcd_ac_ma: float = 0.0
    #: Auxiliary contact of the main contactor (True = closed).
    relay_feedback: bool = False
    #: Internal temperature next to the contactor, degrees C.
    temperature_c: float = 25.0
    #: UID of an RFID tag held in front of the reader, ``None`` when none.
    rfid_uid: str | None = None

    # ---- outputs: written by the firmware ----------------------------------------------
    #: CP generator: ``"static"`` (level :attr:`cp_static_v`), ``"pwm"`` or
    #: ``"disconnected"`` (high impedance, see :data:`CP_MODES`).
    cp_mode: str = "static"
    cp_static_v: float = 0.0
    cp_duty_pct: float = 100.0
    cp_freq_hz: float = 1000.0
    #: Generator rails and edge times (what the charger's CP hardware produces).
    cp_rail_high_v: float = 12.0
    cp_rail_low_v: float = -12.0
    cp_rise_us: float = 2.0
    cp_fall_us: float = 2.0
    #: Main contactor coil (all phases), socket lock actuator, RCD test winding.
    contactor: bool = False
    lock: bool = False
    rcd_test_winding: bool = False
    #: Status LED.
    led_colour: str = "off"
    led_pattern: str = "solid"
    #: Phase selector relays (a station that can choose its phases, for the installation's
    #: phase distribution): the outlet's L1, L2, L3 are the supply terminals rotated by this
    #: many places (0: L1 L2 L3, 1: L2 L3 L1, 2: L3 L1 L2), so a 1-phase vehicle (outlet L1)
    #: draws from supply terminal ``phase_select + 1``. A cyclic rotation keeps a 3-phase
    #: vehicle's phase sequence. Moved only while the contactor is open.
    phase_select: int = 0
    #: The meter's test output (LED / S0, so many pulses per kWh): pulses emitted since
    #: power-up. A host sees one pulse per increment at the instant the count moves (a count
    #: that falls means the meter restarted: it counts from zero again). 0 without an output.
    meter_pulses: int = 0

    # ---- byte streams: callbacks installed by the host ---------------------------------
    #: Called with text the firmware writes to its console UART.
    console_tx: Callable[[str], None] = field(default=lambda text: None, repr=False)
    #: Called with ``(arbitration_id, data)`` for each CAN frame the firmware sends.
    can_tx: Callable[[int, bytes], None] = field(default=lambda i, d: None, repr=False)
    #: Called with one OCPP-J message (a JSON text frame) the firmware sends.
    ocpp_tx: Callable[[str], None] = field(default=lambda text: None, repr=False)


class Firmware(Protocol):
    """What the bench needs from a firmware image. ``zapcharger.Firmware`` implements it.

    Construction: ``Firmware(hal, profile)``. The firmware reads its own settings from
    ``profile.firmware_options`` (a free mapping the rig passes through unchecked) and raises
    :class:`FirmwareOptionError` for a key it does not know or a value it cannot use.
    """

    hal: HalIo

    def tick(self, dt: float) -> None:
        """Run the firmware for ``dt`` seconds of its time (0 = react to changed inputs now)."""

    def next_event_in(self) -> float:
        """Seconds until the firmware next needs :meth:`tick`: always a float >= 0, never
        ``None``; ``math.inf`` when nothing is pending until an input changes (the bench then
        still ticks it at least once a second). 0 asks for an immediate ``tick(0)`` after the
        host re-read the inputs. One type, so a C firmware returns a plain ``double``."""

    def console_input(self, text: str) -> None:
        """Bytes received on the console UART."""

    def can_receive(self, arbitration_id: int, data: bytes) -> None:
        """A CAN frame received from the bus."""

    def ocpp_receive(self, text: str) -> None:
        """An OCPP-J message received from the central system."""

    def ocpp_connected(self, connected: bool) -> None:
        """The websocket to the central system came up or went down."""
