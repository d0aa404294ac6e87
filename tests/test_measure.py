"""Decision rules, verdict ordering, units and uncertainty."""

import math
import re

import pytest

from rig.measure import NOT_REACHED, Limit, Verdict, convert, decide, not_a_number, worst
from rig.uncertainty import combine, expanded, standard_uncertainty, time_interval

RANGE = Limit("%", -1.0, 1.0)


@pytest.mark.parametrize(
    ("value", "u", "rule", "verdict"),
    [
        (0.5, 0.1, "simple", Verdict.PASS),
        (1.05, 0.1, "simple", Verdict.FAIL),
        (0.95, 0.1, "simple", Verdict.PASS),  # simple acceptance ignores U
        (0.85, 0.1, "guarded", Verdict.PASS),  # whole interval inside
        (0.95, 0.1, "guarded", Verdict.INCONCLUSIVE),  # straddles the upper limit
        (1.05, 0.1, "guarded", Verdict.INCONCLUSIVE),
        (1.15, 0.1, "guarded", Verdict.FAIL),  # whole interval outside
        (-1.15, 0.1, "guarded", Verdict.FAIL),
        (-0.95, 0.1, "guarded", Verdict.INCONCLUSIVE),
        (0.95, 0.0, "guarded", Verdict.PASS),  # no uncertainty: the limit itself
    ],
)
def test_decision_rules(value, u, rule, verdict):
    assert decide(value, RANGE, u, rule) is verdict


def test_one_sided_and_equals_limits():
    assert decide(0.05, Limit("s", high=0.1), 0, "simple") is Verdict.PASS
    assert decide(0.15, Limit("s", high=0.1), 0, "simple") is Verdict.FAIL
    assert decide(NOT_REACHED, Limit("s", high=0.1), 0, "simple") is Verdict.FAIL
    assert decide(NOT_REACHED, Limit("s", low=0.1), 0, "guarded") is Verdict.PASS
    assert decide(True, Limit("bool", equals=True)) is Verdict.PASS
    assert decide("red/flash", Limit("text", equals="red/solid")) is Verdict.FAIL
    with pytest.raises(ValueError, match="unknown decision rule"):
        decide(0.5, RANGE, 0.1, "lenient")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, None, "abc", True, 1e308 * 10])
@pytest.mark.parametrize("rule", ["simple", "guarded"])
def test_a_value_that_is_not_a_number_is_an_error_never_a_fail(value, rule):
    """NaN (PP-01 ``duty_pct: nan``), an infinity, None, text, a bool against a range: the rig
    measured nothing the charger can be judged on (issue 8)."""
    assert not_a_number(value)
    assert decide(value, RANGE, 0.1, rule) is Verdict.ERROR
    assert decide(value, Limit("s", high=0.1), 0.0, rule) is Verdict.ERROR
    assert decide(math.nan, Limit("", equals=1.0)) is Verdict.ERROR


def test_not_reached_is_the_one_infinity_a_plan_records():
    assert not_a_number(NOT_REACHED) is None and not_a_number(0.5) is None
    assert math.inf == NOT_REACHED and repr(NOT_REACHED) == "NOT_REACHED"
    assert "NOT_REACHED" in not_a_number(math.inf)


def test_worst_verdict_order():
    assert worst([Verdict.PASS, Verdict.INCONCLUSIVE]) is Verdict.INCONCLUSIVE
    assert worst([Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE]) is Verdict.FAIL
    assert worst([Verdict.FAIL, Verdict.ERROR]) is Verdict.ERROR
    assert worst([]) is Verdict.NOT_RUN


def test_unit_conversion():
    assert convert(5.0, "us", "s") == pytest.approx(5e-6)
    assert convert(6.0, "mA", "A") == pytest.approx(0.006)
    assert convert(2.0, "kWh", "Wh") == pytest.approx(2000.0)
    assert convert(1.0, "%", "%") == 1.0
    with pytest.raises(ValueError, match="cannot convert"):
        convert(1.0, "V", "s")


def test_uncertainty_from_accuracy_spec():
    spec = {"reading_pct": 0.1, "range_pct": 0.1, "range": 40}
    # bounds 0.016 A and 0.04 A, rectangular, added in quadrature, k = 2
    u = math.sqrt((0.016 / math.sqrt(3)) ** 2 + (0.04 / math.sqrt(3)) ** 2)
    assert standard_uncertainty(spec, 16.0) == pytest.approx(u)
    assert expanded(spec, 16.0) == pytest.approx(2 * u)
    assert time_interval({"resolution_s": 1e-6}) == pytest.approx(
        2 * math.sqrt(2) * 1e-6 / math.sqrt(12)
    )
    assert combine(3.0, 4.0, k=1) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="unknown accuracy terms"):
        standard_uncertainty({"readng_pct": 1}, 1.0)


def test_the_power_factor_term_grows_with_tan_phi():
    spec = {"reading_pct": 0.1, "power_factor_pct": 0.2}
    # PF 1: the term vanishes
    assert standard_uncertainty(spec, 1000.0) == pytest.approx(1.0 / math.sqrt(3))
    assert standard_uncertainty(spec, 1000.0, power_factor=1.0) == pytest.approx(
        1.0 / math.sqrt(3))
    # PF 0.5 (phi = 60 deg): tan = sqrt(3), bound 1000 x 1.732 x 0.2 % = 3.46
    bound = 1000.0 * math.sqrt(3) * 0.2 / 100.0
    u = math.sqrt((1.0 / math.sqrt(3)) ** 2 + (bound / math.sqrt(3)) ** 2)
    assert standard_uncertainty(spec, 1000.0, power_factor=0.5) == pytest.approx(u)
    assert standard_uncertainty(spec, 1000.0, power_factor=-0.5) == pytest.approx(u)  # capacitive
    assert expanded(spec, 1000.0, power_factor=0.5) == pytest.approx(2 * u)
    # without the term the power factor does not matter
    assert standard_uncertainty({"reading_pct": 0.1}, 1000.0, power_factor=0.01) == (
        pytest.approx(1.0 / math.sqrt(3)))
    with pytest.raises(ValueError, match=re.escape("power factor 0.01: 0.05 <= |lambda| <= 1")):
        standard_uncertainty(spec, 1000.0, power_factor=0.01)


def test_auto_ranging_uses_the_range_of_the_reading():
    spec = {"reading_pct": 0.1, "range_pct": 0.1, "ranges": [0.5, 1, 2, 5, 10, 20, 40]}
    # 6 A falls in the 10 A range: bounds 0.006 A and 0.01 A
    u = math.sqrt((0.006 / math.sqrt(3)) ** 2 + (0.01 / math.sqrt(3)) ** 2)
    assert standard_uncertainty(spec, 6.0) == pytest.approx(u)
    # above the largest range: the largest
    assert standard_uncertainty(spec, 50.0) == pytest.approx(
        math.sqrt((0.05 / math.sqrt(3)) ** 2 + (0.04 / math.sqrt(3)) ** 2)
    )
