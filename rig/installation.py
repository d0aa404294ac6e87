"""The installation file: one site of N stations behind a main fuse, and its vehicles.

An installation (PR-05, PR-06) is what an installer builds: N stations on one feed, each wired
with a phase rotation, behind a main fuse per phase. The vehicles of a scenario arrive at a
station, want some energy (1-phase or 3-phase, up to a current per phase, never below the 6 A
IEC 61851-1 minimum) and leave. The file is checked by the one door (:mod:`rig.door`): a wrong
key is one line naming file, key path and line.

```yaml
installation:
  fuse_a: 63                   # main fuse, A per phase (3-phase feed)
  stations: 5                  # station k (1..N): OCPP id ZCS2000kk
  rotation: [RST, STR, TRS]    # per station as wired, cycled over the stations
vehicles:                      # optional: the scenario (bench time, s)
  - {station: 1, arrive_s: 0, depart_s: 3600, phases: 3, current_a: 32, energy_kwh: 20}
```
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rig.errors import ConfigError
from rig.yamlio import load_model

#: The largest installation the product's manual claims (100 vehicles on 63 A).
MAX_STATIONS = 100
#: OCPP 1.6 ConnectorPhaseRotation: the feed phase (R, S, T = L1, L2, L3) on each of the
#: station's supply terminals L1, L2, L3.
ROTATIONS = {"RST": (0, 1, 2), "STR": (1, 2, 0), "TRS": (2, 0, 1),
             "RTS": (0, 2, 1), "SRT": (1, 0, 2), "TSR": (2, 1, 0)}
#: The IEC 61851-1 minimum a vehicle can charge at, A.
MIN_CURRENT_A = 6.0


class Site(BaseModel):
    """The feed and the stations as wired."""

    model_config = ConfigDict(extra="forbid")

    fuse_a: float = Field(gt=0, le=1000, description="main fuse, A per phase")
    stations: int = Field(ge=1, le=MAX_STATIONS, description="number of stations")
    rotation: list[str] = Field(default_factory=lambda: ["RST"], min_length=1,
                                description="phase rotation per station (cycled)")
    serial_base: int = Field(200001, ge=0, le=999999 - MAX_STATIONS,
                             description="serial number of station 1 (ZCS + 6 digits)")

    @field_validator("rotation")
    @classmethod
    def _rotations(cls, value: list[str]) -> list[str]:
        for text in value:
            if text.upper() not in ROTATIONS:
                raise ValueError(f"phase rotations from {', '.join(ROTATIONS)} (got {text!r})")
        return [t.upper() for t in value]

    def wiring(self, station: int) -> tuple[int, int, int]:
        """Feed phase (0-2) on each supply terminal of ``station`` (1-based)."""
        return ROTATIONS[self.rotation[(station - 1) % len(self.rotation)]]

    def cp_id(self, station: int) -> str:
        """OCPP identity (= serial number) of ``station`` (1-based)."""
        return f"ZCS{self.serial_base + station - 1:06d}"


class Vehicle(BaseModel):
    """One vehicle of the scenario."""

    model_config = ConfigDict(extra="forbid")

    station: int = Field(ge=1, description="station it plugs into (1..N)")
    arrive_s: float = Field(ge=0, description="bench time it plugs in and asks for current, s")
    depart_s: float = Field(gt=0, description="bench time it unplugs, s")
    phases: Literal[1, 3] = Field(3, description="1-phase or 3-phase on-board charger")
    current_a: float = Field(32.0, ge=MIN_CURRENT_A, le=80,
                             description="most it draws per phase, A (>= the 6 A minimum)")
    energy_kwh: float = Field(gt=0, le=200, description="energy it wants, kWh")

    @model_validator(mode="after")
    def _order(self) -> Vehicle:
        if self.depart_s <= self.arrive_s:
            raise ValueError(f"depart_s ({self.depart_s:g}) after arrive_s ({self.arrive_s:g})")
        return self


class InstallationFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid")

    installation: Site
    vehicles: list[Vehicle] = Field(default_factory=list)

    @model_validator(mode="after")
    def _stations(self) -> InstallationFile:
        busy: dict[int, list[tuple[float, float]]] = {}
        for n, v in enumerate(self.vehicles):
            if v.station > self.installation.stations:
                raise ValueError(f"vehicles.{n}.station: a station of 1..."
                                 f"{self.installation.stations} (got {v.station})")
            for a, d in busy.get(v.station, []):
                if v.arrive_s < d and a < v.depart_s:
                    raise ValueError(f"vehicles.{n}: station {v.station} is taken from {a:g} "
                                     f"to {d:g} s by another vehicle")
            busy.setdefault(v.station, []).append((v.arrive_s, v.depart_s))
        return self


def installation_file(path: str | Path, site: Any) -> Path:
    """``options: {installation: FILE}`` of the rig file at ``path``: FILE relative to the rig
    file's folder (``rigs/``), or as given."""
    if not isinstance(site, str) or not site.strip():
        raise ConfigError(str(path), "options.installation", "an installation file "
                          "(rigs/installations/*.yaml), relative to the rig file's folder")
    found = Path(path).parent / site
    return found if found.is_file() else Path(site)


def load_installation(path: str | Path) -> InstallationFile:
    """Load and validate an installation file (ConfigError: file, key path, line)."""
    return load_model(path, InstallationFile)


def day_scenario(site: Site, seed: int = 1, day_s: float = 86400.0) -> list[Vehicle]:
    """A working day at a site (the benchmark's and the shortened-day test's): every station
    gets a commuter in the morning (mostly 3-phase, a third 1-phase) and some a second vehicle
    in the evening. Deterministic for a seed; ``day_s`` squeezes the same day."""
    rng = random.Random(seed)
    scale = day_s / 86400.0
    out = []
    for st in range(1, site.stations + 1):
        arrive = rng.uniform(6.5, 9.5) * 3600
        depart = arrive + rng.uniform(7.0, 10.0) * 3600
        out.append(Vehicle(station=st, arrive_s=arrive * scale, depart_s=depart * scale,
                           phases=1 if rng.random() < 0.33 else 3,
                           current_a=rng.choice((16.0, 32.0)),
                           energy_kwh=rng.uniform(8, 40)))
        if rng.random() < 0.4:
            arrive = depart + rng.uniform(0.5, 2.0) * 3600
            depart = min(arrive + rng.uniform(3, 8) * 3600, 86399.0)
            if depart > arrive + 600:
                out.append(Vehicle(station=st, arrive_s=arrive * scale, depart_s=depart * scale,
                                   phases=1 if rng.random() < 0.5 else 3, current_a=16.0,
                                   energy_kwh=rng.uniform(5, 20)))
    return out


def jain(values: list[float]) -> float | None:
    """Jain's fairness index (sum x)^2 / (n sum x^2): 1 when all are equal, 1/n when one has
    everything; None for no values."""
    if not values:
        return None
    square = sum(x * x for x in values)
    return 1.0 if square == 0 else sum(values) ** 2 / (len(values) * square)
