"""What one command costs an emulated instrument, per model, now that each parses its whole
manual's command table (up to ~200 header patterns).

Runs each model's typical commands in-process (``ScpiDevice.process``, no socket: the parser,
the handler and the model), ``--repeat`` times each, and prints the median cost per command in
microseconds: as a plan sees it (the parser remembers each header's match) and on first use
(the match searched through the table every time). The loopback round trip through
pyvisa-py is about 100 us per query on the 2-core machine, so the parser must stay well below
that.

Usage: python bench/scpi_speed.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from rig.bench.host import BenchHost

#: Per bench key: what a plan sends most (set forms, queries, one compound message).
COMMANDS = {
    "smu": [":SOUR:CURR:LEV 6e-3", ":SOUR:CURR:LEV?", ":OUTP?", "SYST:ERR?", ":MEAS:CURR?"],
    "cs": [":SOUR:WAVE:AMPL 0.0424", ":SOUR:WAVE:AMPL?", ":OUTP?", "SYST:ERR?"],
    "pa": [":NUM:NORM:VAL?", ":STAT:EESR?", ":STAT:ERR?", ":INTEG:STAT?"],
    "ac1": ["VOLT 230", "VOLT?", "MEAS:VOLT:AC?", "SYST:ERR?"],
    "ac3": ["INST:COUP ALL;:VOLT:AC 230", "MEAS:CURR:AC?", "SYST:ERR?"],
    "ev": ["SOUR:CP:STAT B", "MEAS:CP:DCYC?", "TRAC:EVEN:LAST? \"PWM\"", "SYST:ERR?"],
}


def measure(repeat: int) -> dict[str, dict[str, Any]]:
    """Per bench key: header patterns, median us per command (remembered match and first
    use), and the slowest command with its cost."""
    host = BenchHost().start()
    out: dict[str, dict[str, Any]] = {}
    try:
        for key, commands in COMMANDS.items():
            device = host.servers[key].device
            lock = host.servers[key].lock
            costs, firsts = {}, {}
            for command in commands:
                for cached, into in ((True, costs), (False, firsts)):
                    start = time.perf_counter()
                    for _ in range(repeat):
                        with lock:
                            if not cached:
                                device.__dict__.pop("_found", None)
                            device.process(command)
                    into[command] = (time.perf_counter() - start) / repeat * 1e6
                device.errors.clear()
            slowest = max(costs, key=costs.__getitem__)
            out[key] = {"patterns": len(device._commands),
                        "median_us": statistics.median(costs.values()),
                        "first_use_us": statistics.median(firsts.values()),
                        "slowest": slowest, "slowest_us": costs[slowest]}
    finally:
        host.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    print(f"{'key':4} {'patterns':>8} {'us/command':>11} {'first use':>10}  slowest command")
    for key, m in measure(args.repeat).items():
        print(f"{key:4} {m['patterns']:8d} {m['median_us']:11.1f} {m['first_use_us']:10.1f}"
              f"  {m['slowest']} ({m['slowest_us']:.1f} us)")


if __name__ == "__main__":
    main()
