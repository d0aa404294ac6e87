"""What the rig's driver stack costs per exchange, against plain pyvisa-py and a raw socket.

One emulated Keithley 2450 (``rig.bench``'s SCPI server on 127.0.0.1, the same one a plan
talks to, in a bench process of its own) and three clients on it, each with its own connection:

* ``driver``: the rig's full stack, ``Keithley2450`` on ``VisaTransport`` (pymeasure property,
  transcript entry, reconnect bookkeeping, settings cache, error-queue check);
* ``pyvisa``: plain pyvisa-py, ``query``/``write`` on a ``TCPIP::SOCKET`` resource, with
  TCP_NODELAY set (out of the box a checked write waits ~44 ms for Nagle's algorithm);
* ``socket``: a raw TCP socket (TCP_NODELAY), ``sendall`` and a read up to the newline.

Two kinds of exchange: a query (``:SOUR:CURR?``, parsed to a float) and a checked write (the
level set, then ``SYST:ERR?``, as the driver does after every configuration write). The
clients are interleaved exchange by exchange (driver, pyvisa, socket, driver, ...), so a change
of machine load hits all three alike; each figure is the median per exchange of a round of
``--count`` exchanges per client, and ``--rounds`` rounds give its min/median/max. The
target: the driver stack costs at most 1.3 x plain pyvisa-py.

Usage: python bench/query_cost.py [--count 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rig.bench.process import start_bench_process  # noqa: E402
from rig.instruments.registry import open_instrument  # noqa: E402

#: The driver stack may cost this much more than plain pyvisa-py (issue 13).
TARGET_RATIO = 1.3
LEVEL_A = 0.006


class RawSocket:
    """The cheapest client: one socket, no VISA."""

    def __init__(self, host: str, port: int):
        self.sock = socket.create_connection((host, port), timeout=5.0)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def write(self, text: str) -> None:
        self.sock.sendall(text.encode() + b"\n")

    def query(self, text: str) -> str:
        self.write(text)
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the instrument closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def close(self) -> None:
        self.sock.close()


def clients(resource: str) -> tuple[dict[str, dict[str, Callable[[], Any]]], list[Any]]:
    """The three clients' query and checked-write steps, and what to close afterwards."""
    import pyvisa

    driver = open_instrument("KEITHLEY2450", resource, "rcd_dc")
    rm = pyvisa.ResourceManager("@py")
    plain = rm.open_resource(resource, read_termination="\n", write_termination="\n",
                             timeout=5000)
    # what any careful pyvisa-py user does (and the rig's transport does): without it a write
    # followed by a small query waits ~40 ms for Nagle's algorithm, and the comparison would
    # flatter the driver stack
    rm.visalib.sessions[plain.session].interface.setsockopt(
        socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    _, host, port, _ = resource.split("::")
    raw = RawSocket(host, int(port))

    def driver_write() -> None:
        driver.source_current = LEVEL_A
        driver.check()

    def plain_write() -> None:
        plain.write(f":SOUR:CURR:LEV {LEVEL_A:g}")
        reply = plain.query("SYST:ERR?")
        if not reply.startswith("0"):
            raise RuntimeError(reply)

    def raw_write() -> None:
        raw.write(f":SOUR:CURR:LEV {LEVEL_A:g}")
        reply = raw.query("SYST:ERR?")
        if not reply.startswith("0"):
            raise RuntimeError(reply)

    steps = {
        "query": {"driver": lambda: float(driver.source_current),
                  "pyvisa": lambda: float(plain.query(":SOUR:CURR?")),
                  "socket": lambda: float(raw.query(":SOUR:CURR?"))},
        "checked write": {"driver": driver_write, "pyvisa": plain_write, "socket": raw_write},
    }
    return steps, [driver, plain, rm, raw]


def measure(count: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    """kind -> client -> per-round median seconds per exchange."""
    with tempfile.TemporaryDirectory(prefix="query-cost-") as tmp:
        # the bench in its own process, as a lab's instruments are apart from the rig PC: in
        # this one its server threads would compete with the clients for the interpreter
        proc, env = start_bench_process(Path(tmp) / "bench.env", cwd=ROOT)
        try:
            return _measure(env["LG_BENCH_SMU"], count, rounds)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _measure(resource: str, count: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    steps, closers = clients(resource)
    try:
        out: dict[str, dict[str, list[float]]] = {k: {} for k in steps}
        for kind, by_client in steps.items():
            for step in by_client.values():  # warm-up: first use, caches, connections
                for _ in range(20):
                    step()
            for _ in range(rounds):
                times: dict[str, list[float]] = {name: [] for name in by_client}
                for _ in range(count):
                    for name, step in by_client.items():  # interleaved: one each in turn
                        t0 = time.perf_counter()
                        step()
                        times[name].append(time.perf_counter() - t0)
                for name, values in times.items():
                    out[kind].setdefault(name, []).append(statistics.median(values))
        return out
    finally:
        for item in closers:
            try:
                item.close()
            except Exception:  # closing after a benchmark: best effort
                pass


def figures(count: int = 300, rounds: int = 5) -> list[dict[str, Any]]:
    """The part's figures for ``python -m bench``: us per exchange and the ratio to pyvisa."""
    data = measure(count, rounds)
    out: list[dict[str, Any]] = []
    for kind, by_client in data.items():
        for name, values in by_client.items():
            out.append({"name": f"{kind}: {name}", "unit": "us",
                        "values": [v * 1e6 for v in values]})
        ratios = [d / p for d, p in zip(by_client["driver"], by_client["pyvisa"], strict=True)]
        out.append({"name": f"{kind}: driver / pyvisa", "unit": "x", "values": ratios,
                    "target": ["<=", TARGET_RATIO]})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=300, help="exchanges per client and round")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f}; {args.rounds} rounds of {args.count} "
          f"exchanges per client, taking turns")
    ok = True
    for fig in figures(args.count, args.rounds):
        v = fig["values"]
        line = (f"{fig['name']:26s} min {min(v):8.1f}  median {statistics.median(v):8.1f}  "
                f"max {max(v):8.1f} {fig['unit']}")
        if "target" in fig:
            good = statistics.median(v) <= fig["target"][1]
            ok &= good
            line += f"   (target <= {fig['target'][1]:g}: {'pass' if good else 'FAIL'})"
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
