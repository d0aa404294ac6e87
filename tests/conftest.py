"""The order of the suite's files: the long ones first.

``make test`` runs the suite on pytest-xdist, one test file per unit of work
(``--dist loadfile --no-loadscope-reorder``: README, Development). Files are handed to the
workers in the order collected here. xdist's own order (most tests first) would leave the files
that take long with few tests (a lab of two places, a station shift, wheels built and installed)
for the end, where one of them runs alone while the other worker has nothing left to do. So the
files measured slowest go first, longest first; the rest keep pytest's order behind them. Only
the order changes: without ``-n`` every test still runs, once.
"""

from __future__ import annotations

import signal

import pytest

#: Slowest first (a serial run on the 2-core machine, README "Test suite time").
HEAVY: tuple[str, ...] = (
    "tests/plan/test_defect_matrix.py",       # ~110 plan runs, two at a time on its own pool
    "tests/report/test_html.py",
    "tests/report/test_allure.py",
    "tests/plan/test_bad_input.py",
    "tests/lab/test_places.py",
    "tests/loaders/test_door_fuzz.py",
    "tests/outside_project/test_outside_project.py",
    "tests/plan/test_c_firmware.py",
    "tests/lab/test_compare.py",
    "tests/faults/test_fault_plan.py",
    "tests/eol/test_eol_line.py",
    "tests/lab/test_firmware_update.py",
    "tests/eol/test_parallel_stations.py",
    "tests/plan/test_composite_matrix.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: n for n, name in enumerate(HEAVY)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


def pytest_configure(config: pytest.Config) -> None:
    """An xdist worker ignores SIGINT (its controller handles Ctrl-C), and an ignored signal
    stays ignored in every process it starts: the tests that interrupt a plan run or a station
    with SIGINT, or raise it in-process, need Python's own handler back."""
    if hasattr(config, "workerinput"):
        signal.signal(signal.SIGINT, signal.default_int_handler)
