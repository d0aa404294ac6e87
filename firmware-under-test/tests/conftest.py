"""Firmware tests: make the harness importable and offer a booted default station."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fwharness import Rig


@pytest.fixture
def rig() -> Rig:
    """A default (compliant) station, booted and idle in state A."""
    return Rig()
