"""Where the rooms of a floor plan go, in metres: bands, columns, ensuite, door sides."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class _PlanRoom:
    label: str
    kind: str  # living, dining, bedroom, kitchen, bath, storage, balcony
    x0: float  # metres; y grows southwards (down the page), north is up
    y0: float
    x1: float
    y1: float
    ensuite: bool = False  # carved out of the master bedroom, entered from it

    @property
    def area(self) -> float:
        return (self.x1 - self.x0) * (self.y1 - self.y0)

    def contains(self, other: _PlanRoom) -> bool:
        return (
            other is not self
            and self.x0 <= other.x0
            and other.x1 <= self.x1
            and self.y0 <= other.y0
            and other.y1 <= self.y1
        )


# Typical Chinese mass-market room widths (m); the plan is scaled to the sold area.
_NOMINAL_WIDTH = {"living": 3.9, "master": 3.4, "bedroom": 3.0, "kitchen": 2.3, "bath": 1.8, "storage": 1.5}
_BAND_DEPTH = {"north": 2.9, "middle": 1.6, "south": 4.2}
_BALCONY_DEPTH = 1.4
_BEDROOM_LABELS = ("主卧", "次卧", "儿童房", "书房")


def _plan_columns(rooms: int, bathrooms: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(label, width key) columns for the sunny south band and the service north band."""
    bedrooms = list(_BEDROOM_LABELS[:rooms])
    if rooms >= 3:
        south = [(bedrooms[0], "master"), ("客厅", "living"), (bedrooms[1], "bedroom")]
        north_bedrooms = bedrooms[2:]
    else:
        south = [("客厅", "living"), (bedrooms[0], "master")]
        north_bedrooms = bedrooms[1:]
    public_baths = bathrooms - 1 if bathrooms >= 3 else bathrooms  # the third one is the master's ensuite
    north = (
        [("厨房", "kitchen")] + [("卫生间", "bath")] * public_baths + [(b, "bedroom") for b in north_bedrooms]
    )
    south_width = sum(_NOMINAL_WIDTH[k] for _, k in south)
    if sum(_NOMINAL_WIDTH[k] for _, k in north) < 0.8 * south_width:
        north.append(("储物间", "storage"))
    return south, north


def _layout_band(
    columns: list[tuple[str, str]], width: float, y0: float, y1: float, rng: np.random.Generator
) -> list[_PlanRoom]:
    weights = np.array([_NOMINAL_WIDTH[k] for _, k in columns]) * rng.uniform(0.93, 1.07, len(columns))
    edges = np.concatenate([[0.0], np.cumsum(weights / weights.sum() * width)])
    return [
        _PlanRoom(label, "bedroom" if key == "master" else key, float(edges[i]), y0, float(edges[i + 1]), y1)
        for i, (label, key) in enumerate(columns)
    ]


def _plan_layout(
    rooms: int, halls: int, bathrooms: int, gross_area: float, rng: np.random.Generator
) -> tuple[list[_PlanRoom], float, float]:
    """Rooms in metres plus the (width, depth) of the main body, balcony excluded."""
    south, north = _plan_columns(rooms, bathrooms)
    nominal_w = max(sum(_NOMINAL_WIDTH[k] for _, k in band) for band in (south, north))
    nominal_d = sum(_BAND_DEPTH.values())
    # ~80 % of the sold (gross) area is usable floor; clamp so rooms stay believable.
    scale = float(np.clip(math.sqrt(gross_area * 0.8 / (nominal_w * nominal_d)), 0.82, 1.25))
    width, depth = nominal_w * scale, nominal_d * scale
    y_north = _BAND_DEPTH["north"] * scale * rng.uniform(0.95, 1.05)
    y_south = y_north + _BAND_DEPTH["middle"] * scale

    plan = _layout_band(north, width, 0.0, y_north, rng) + _layout_band(south, width, y_south, depth, rng)
    plan.append(_PlanRoom("餐厅" if halls >= 2 else "", "dining", 0.0, y_north, width, y_south))
    living = next(r for r in plan if r.kind == "living")
    plan.append(_PlanRoom("阳台", "balcony", living.x0, depth, living.x1, depth + _BALCONY_DEPTH * scale))
    if bathrooms >= 3:
        plan.append(_ensuite(next(r for r in plan if r.label == "主卧"), living, scale))
    if halls < 2:
        plan = [
            _PlanRoom("客餐厅", r.kind, r.x0, r.y0, r.x1, r.y1) if r.kind == "living" else r for r in plan
        ]
    if rng.random() < 0.5:  # mirrored twin of the same type, as on real plan sheets
        plan = [_PlanRoom(r.label, r.kind, width - r.x1, r.y0, width - r.x0, r.y1) for r in plan]
    return plan, width, depth


def _ensuite(master: _PlanRoom, living: _PlanRoom, scale: float) -> _PlanRoom:
    # In the hall-side corner away from the living room, so the bedroom door stays clear.
    w, d = 1.8 * scale, 2.0 * scale
    x0 = master.x0 if master.x1 <= living.x0 else master.x1 - w
    return _PlanRoom("主卫", "bath", x0, master.y0, x0 + w, master.y0 + d, ensuite=True)


def _door_sides(
    plan: list[_PlanRoom], living: _PlanRoom, east_entrance: bool, rng: np.random.Generator
) -> dict[_PlanRoom, bool]:
    """Which end of each room's hall-side wall gets the door (True = left end)."""
    sides: dict[_PlanRoom, bool] = {}
    has_ensuite = any(r.ensuite for r in plan)
    for room in plan:
        if room.kind not in {"bedroom", "kitchen", "bath", "storage"}:
            continue
        if has_ensuite and (room.ensuite or room.label == "主卧"):
            sides[room] = living.x1 <= room.x0  # towards the living room, clear of the ensuite
        else:
            # Mostly towards the entrance end of the hall, with some variety.
            sides[room] = (not east_entrance) if rng.random() < 0.75 else east_entrance
    return sides
