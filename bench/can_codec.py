"""What encoding and decoding the charger's CAN frames through its DBC file (cantools) costs.

The emulated firmware encodes a status frame and a meter frame every ``can.status_period_s``
(1 s) while powered, and the rig decodes what it reads; since the frames are described by
``zapcharger/can/zapcharger.dbc`` instead of hand-written ``struct`` formats, each goes through
cantools. This prints the cost per frame (median of several rounds), the cached status frame
(the periodic frame repeats its content), the one-off cost of reading the DBC file, and what it
adds up to for one station-day and a 100-station day in virtual time.

    .venv/bin/python bench/can_codec.py [--rounds 5] [--frames 2000]
"""

from __future__ import annotations

import argparse
import statistics
import struct
import time
from collections.abc import Callable

from zapcharger import canbus

from rig.dut.can import decode_meter, decode_status
from rig.dut.dbc import DEFAULT_DBC, load_protocol


def per_call_us(fn: Callable[[int], object], frames: int, rounds: int) -> float:
    """Median over ``rounds`` of the mean time per call, us."""
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for i in range(frames):
            fn(i)
        times.append((time.perf_counter() - t0) / frames * 1e6)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--frames", type=int, default=2000)
    args = parser.parse_args(argv)
    n, r = args.frames, args.rounds

    t0 = time.perf_counter()
    load_protocol(DEFAULT_DBC)
    load_ms = (time.perf_counter() - t0) * 1e3
    canbus.database()  # the firmware's copy, read once per process

    def status_uncached(i: int) -> object:
        return canbus.encode_status.__wrapped__("C2", 7, 16.0 + (i % 100) / 10, 26.7, 0,
                                                "blue", "flash")

    def status_cached(i: int) -> object:
        return canbus.encode_status("C2", 7, 16.0, 26.7, 0, "blue", "flash")

    def meter(i: int) -> object:
        return canbus.encode_meter(1000.0 + i, 16.0 + (i % 7) / 100, 230.0)

    def meter_idle(i: int) -> object:
        return canbus.encode_meter(1000.0, 0.0, 230.0)

    status_frame = canbus.encode_status("C2", 7, 16.0, 26.7, 0, "blue", "flash")
    meter_frame = canbus.encode_meter(1234.0, 16.0, 230.0)

    def hand_struct(i: int) -> object:  # what one frame cost with the former struct.pack
        return struct.pack("<IHH", 1000 + i, 1600, 2300)

    figures = {
        "encode status (cantools, 12 signals)": per_call_us(status_uncached, n, r),
        "encode status (repeated content, cached)": per_call_us(status_cached, n, r),
        "encode meter (cantools, 3 signals)": per_call_us(meter, n, r),
        "encode meter (idle station, cached)": per_call_us(meter_idle, n, r),
        "decode status (rig)": per_call_us(lambda i: decode_status(status_frame), n, r),
        "decode meter (rig)": per_call_us(lambda i: decode_meter(meter_frame), n, r),
        "struct.pack of a meter frame (before the DBC)": per_call_us(hand_struct, n, r),
    }
    print(f"read and check the DBC file: {load_ms:.1f} ms (once per process)")
    for name, us in figures.items():
        print(f"{name:48s} {us:8.1f} us/frame")
    # one station: a status and a meter frame every second; the status content repeats
    cached = figures["encode status (repeated content, cached)"]
    charging = figures["encode meter (cantools, 3 signals)"] + cached
    idle = figures["encode meter (idle station, cached)"] + cached
    day = 86_400
    print(f"firmware CAN encoding per station-day (1 s period): charging all day "
          f"{charging * day / 1e6:.2f} s, idle all day {idle * day / 1e6:.2f} s; "
          f"100 stations charging all day: {charging * day * 100 / 1e6:.0f} s of CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
