"""The SCPI status system the Keithley instruments share: operation and questionable registers,
``:STATus:PRESet``, the error queue's count and code queries, ``*TRG``.

A menu, not a model: each model's command table (``rig.bench.manuals``) says which of these
commands it has (the 2450 has ``:STATus:CLEar`` and ``:SYSTem:ERRor:COUNt?``, the 6221
``:STATus:QUEue``), and only those are registered.
"""

from __future__ import annotations

from rig.bench.scpi import Call, ScpiDevice


class StatusSystem(ScpiDevice):
    """Registers of SCPI-99 vol. 1 chapter 9 (condition, event, enable), no transitions here:
    the bench has no operation that runs on its own, so condition and event read 0."""

    optional_handlers = True

    def __init__(self) -> None:
        self.status_enable = {"OPER": 0, "QUES": 0, "MEAS": 0}
        super().__init__()

    @ScpiDevice.command(":STATus:PRESet")
    def _stat_pres(self, call: Call) -> None:
        call.count(0)
        self.status_enable = dict.fromkeys(self.status_enable, 0)

    @ScpiDevice.command(":STATus:CLEar")
    def _stat_cle(self, call: Call) -> None:
        call.count(0)
        self.esr = 0

    @ScpiDevice.command(
        ":STATus:OPERation[:EVENt]?", ":STATus:OPERation:CONDition?",
        ":STATus:QUEStionable[:EVENt]?", ":STATus:QUEStionable:CONDition?",
        ":STATus:MEASurement[:EVENt]?", ":STATus:MEASurement:CONDition?",
    )
    def _stat_event(self, call: Call) -> str:
        call.count(0)
        return "0"

    def _register(self, call: Call) -> str:
        return call.header.lstrip(":").split(":")[1][:4]

    @ScpiDevice.command(
        ":STATus:OPERation:ENABle", ":STATus:QUEStionable:ENABle", ":STATus:MEASurement:ENABle",
    )
    def _stat_enable(self, call: Call) -> None:
        call.count(1)
        self.status_enable[self._register(call)] = call.integer(0, 0, 65535)

    @ScpiDevice.command(
        ":STATus:OPERation:ENABle?", ":STATus:QUEStionable:ENABle?",
        ":STATus:MEASurement:ENABle?",
    )
    def _stat_enable_q(self, call: Call) -> str:
        call.count(0)
        return str(self.status_enable[self._register(call)])

    @ScpiDevice.command(":STATus:QUEue[:NEXT]?")
    def _stat_queue(self, call: Call) -> str:
        call.count(0)
        return self.pop_error()

    @ScpiDevice.command(":STATus:QUEue:CLEar", ":SYSTem:CLEar")
    def _queue_clear(self, call: Call) -> None:
        call.count(0)
        self.errors.clear()

    @ScpiDevice.command(":SYSTem:ERRor:COUNt?")
    def _err_count(self, call: Call) -> str:
        call.count(0)
        return str(len(self.errors))

    @ScpiDevice.command(":SYSTem:ERRor:CODE[:NEXT]?")
    def _err_code(self, call: Call) -> str:
        call.count(0)
        return self.pop_error().partition(",")[0]

    @ScpiDevice.command(":SYSTem:VERSion?")
    def _version(self, call: Call) -> str:
        call.count(0)
        return "1999.0"

    @ScpiDevice.command("*TRG")
    def _trg(self, call: Call) -> None:
        """A bus trigger: no trigger model waits for one on this bench, so nothing happens
        (as on the instrument when its trigger model is idle)."""
        call.count(0)
