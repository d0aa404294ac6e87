"""What every module of the IEC 61851-1 plan shares: its catalogue, test points, waits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rig.catalogue import Catalogue, load_catalogue

CATALOGUE: Catalogue = load_catalogue(Path(__file__).with_name("requirements.yaml"))


def points(rid: str, name: str) -> list[Any]:
    """Test points of a requirement, from the catalogue (for ``parametrize``)."""
    return list(CATALOGUE.params(rid)[name])


def budget(rid: str, name: str | None = None, factor: float = 3.0, minimum: float = 1.0) -> float:
    """How long to keep watching for an event: a multiple of the requirement's upper limit,
    so a late charger is still measured (and fails) instead of timing out."""
    _, limit = CATALOGUE.limit(rid, name)
    high = limit.high if limit.high is not None else minimum
    return max(factor * high, minimum)
