"""The emulated bench's control port (model ``BENCH-CONTROL`` in a rig file).

Not an instrument of a real lab: the port through which the rig's clock advances virtual time
(``BENCH:TIME:ADV``) and the framework's own tests break the bench on purpose. Plans use it only
for what a real rig does with other equipment (the ambient temperature a climate chamber sets,
an RCD sensor broken on purpose), each under a declared labgrid feature. It speaks SCPI like
the others, so it gets the same transcript and error checks.

=======================  ==============================================  ====================
Purpose                  Command                                         Reply
=======================  ==============================================  ====================
time                     ``BENCH:TIME?``, ``BENCH:TIME:MODE?``,          ``12.500000``,
                         ``BENCH:TIME:ADV <s>``                          ``VIRTUAL``
safe state               ``BENCH:SAFE?``                                 ``1`` or ``0,"why"``
ambient temperature      ``BENCH:AMB <C>``, ``BENCH:AMB?``               ``25`` (-40 ... 85 C)
link faults              ``BENCH:FAULT:LINK <name>,DROP|DELAY|GARBLE|NONE[,s]``
errors, reboot           ``BENCH:FAULT:ERROR <name>,<code>``, ``BENCH:FAULT:REBOOT <name>``
=======================  ==============================================  ====================
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from rig.errors import ConfigError
from rig.instruments.base import ScpiInstrument, check_choice, check_range, quantity
from rig.transport import AccessDenied
from rig.transport.transcript import SENT

#: Where the token comes from when the rig file's ``options: {token: ...}`` does not give it.
TOKEN_ENV = "LG_BENCH_TOKEN"
AUTH_QUERY = "BENCH:AUTH?"

LINK_MODES = ("NONE", "DROP", "DELAY", "GARBLE")


class BenchControl(ScpiInstrument):
    """Client of the bench control port; nothing to make safe (it has no outputs).

    The port accepts nothing before it is shown the bench's token (``BENCH:AUTH? "<token>"``):
    from the ``token`` option, else ``LG_BENCH_TOKEN`` (the env file ``rig bench serve``
    writes; the in-process bench exports it). Shown again on every reopened session; the
    transcript records the command with the token masked.
    """

    OPTIONS: ClassVar[dict[str, Any]] = {"token": None}

    def setup_options(self, name: str) -> None:
        token = self.driver_options.get("token")
        if token is not None and (not isinstance(token, str) or not token.strip()):
            raise ConfigError(f"instrument {name} (BenchControl)", "options.token",
                              "the bench's token (a string; see LG_BENCH_TOKEN)")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.token: str | None = self.driver_options.get("token") or os.environ.get(TOKEN_ENV)
        self.transport.on_open = self.authenticate
        self.authenticate()

    def authenticate(self) -> None:
        """Show the port the token (nothing without one: an older bench needs none)."""
        if not self.token:
            return
        transport = self.transport
        with transport.lock:
            transport.connection.write(f'{AUTH_QUERY} "{self.token}"')
            transport.transcript.append(self.name, SENT, f'{AUTH_QUERY} "***"')
            reply = transport.read().strip()
        if reply != "1":
            raise AccessDenied(self.name, self.resource, AUTH_QUERY,
                               f"the bench refused the token (reply {reply!r}): use the "
                               f"{TOKEN_ENV} of the bench's env file")

    #: The station's surroundings (what a climate chamber sets on a real rig).
    ambient_c = quantity("BENCH:AMB?", "BENCH:AMB %g", "Ambient temperature", unit="C",
                         range=(-40.0, 85.0))

    def make_safe(self) -> None:
        """Nothing to switch off; stale errors are dropped like on any instrument."""
        self.read_errors()

    def time(self) -> float:
        """Bench time, s."""
        return self.query_float("BENCH:TIME?")

    def clock_mode(self) -> str:
        """``VIRTUAL`` or ``REALTIME``."""
        return self.query("BENCH:TIME:MODE?").upper()

    def advance(self, seconds: float) -> None:
        """Advance virtual time; returns once the bench has got there."""
        check_range("seconds", seconds, "s", 0.0, 1e7)
        self.query(f"BENCH:TIME:ADV {seconds:.9g};*OPC?")
        self.raise_errors(f"BENCH:TIME:ADV {seconds:.9g}")

    def safe(self) -> tuple[bool, str]:
        """Is every output of the bench de-energised? (and if not, why)."""
        reply = self.query("BENCH:SAFE?")
        flag, _, why = reply.partition(",")
        return flag.strip() == "1", why.strip().strip('"')

    def link_fault(self, instrument: str, mode: str, seconds: float = 0.0) -> None:
        """Break (or, with NONE, repair) an instrument's LAN link."""
        mode = check_choice("mode", mode, LINK_MODES)
        check_range("seconds", seconds, "s", 0.0, 600.0)
        self.send(f"BENCH:FAULT:LINK {instrument},{mode},{seconds:g}")

    def inject_error(self, instrument: str, code: int) -> None:
        """Put ``code`` into an instrument's error queue."""
        self.send(f"BENCH:FAULT:ERROR {instrument},{int(code)}")

    def reboot(self, instrument: str) -> None:
        """Reset an instrument to its power-on state and drop its connections."""
        self.send(f"BENCH:FAULT:REBOOT {instrument}")
