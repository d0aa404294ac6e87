"""A plan-style module run in a pytest subprocess by ``tests/plan/test_value_integrity.py``
(not collected by the suite itself): what ``record()`` makes of values that are not numbers.

The values are what a driver hands on when an instrument measured nothing: ``float("nan")``
(a WT333E's ``NAN``, an EV emulator's pilot with no PWM), ``float("inf")``, or its raw reply."""

from __future__ import annotations

import pytest

from rig.measure import NOT_REACHED


@pytest.mark.requirement("VI-01")
def test_a_number(record):
    record("VI-01", 10.0, "%")


@pytest.mark.requirement("VI-02")
def test_nan(record):
    record("VI-02", float("nan"), "%")
    raise AssertionError("record() must stop the test on a value that is not a number")


@pytest.mark.requirement("VI-03")
def test_inf(record):
    record("VI-03", float("inf"), "%")


@pytest.mark.requirement("VI-04")
def test_text(record):
    record("VI-04", "9.91E37 OVER", "%")


@pytest.mark.requirement("VI-05")
def test_never_happened(record):
    record("VI-05", NOT_REACHED, "ms")


@pytest.mark.requirement("VG-01")
def test_nan_guarded(record):
    record("VG-01", float("nan"), "%", uncertainty=0.1)
