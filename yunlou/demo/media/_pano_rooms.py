"""The furnished rooms the panoramas show: walls, openings, decor and furniture as axis-aligned boxes."""

from __future__ import annotations

from dataclasses import dataclass

from ._drawing import Color, _shade


@dataclass(frozen=True)
class _Opening:
    """Rectangle on a wall: u runs along the wall (x on north/south walls, z on east/west), v is height."""

    wall: str  # north (z = depth), south (z = 0), east (x = width), west (x = 0)
    u0: float
    u1: float
    v0: float
    v1: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.u0 + self.u1) / 2, (self.v0 + self.v1) / 2


@dataclass(frozen=True)
class _Furniture:
    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    color: Color
    doors: float = 0.0  # width of cabinet doors drawn on the vertical faces; 0 for none


@dataclass(frozen=True)
class _PanoRoom:
    size: tuple[float, float, float]  # width (x), height (y), depth (z)
    camera: tuple[float, float, float]
    window: _Opening
    door: _Opening
    walls: tuple[tuple[str, Color], ...]
    floor: str  # "tiles" or "planks"
    rug: tuple[float, float, float, float, Color]  # x0, z0, x1, z1, colour
    decor: tuple[tuple[str, _Opening, Color], ...]  # (panel | tv | art | curtain, where, colour)
    furniture: tuple[_Furniture, ...]
    sun: tuple[float, float, float]  # direction towards the sun, out through the window
    ceiling_lamp: str  # "cove" or "disc"


def _sofa(x0: float, z0: float, z1: float, color: Color) -> tuple[_Furniture, ...]:
    """Three-seater against an east wall (high x), facing west."""
    x1 = x0 + 0.92
    return (
        _Furniture((x0, 0.0, z0), (x1, 0.42, z1), color),
        _Furniture((x1 - 0.26, 0.42, z0), (x1, 0.86, z1), _shade(color, 0.96)),
        _Furniture((x0, 0.0, z0), (x1, 0.62, z0 + 0.22), color),
        _Furniture((x0, 0.0, z1 - 0.22), (x1, 0.62, z1), color),
        _Furniture((x1 - 0.46, 0.42, z0 + 0.4), (x1 - 0.26, 0.8, z0 + 0.85), (70, 96, 122)),
        _Furniture((x1 - 0.46, 0.42, z1 - 0.85), (x1 - 0.26, 0.8, z1 - 0.4), (206, 150, 94)),
    )


_PANO_ROOMS = {
    "living": _PanoRoom(
        size=(6.6, 2.85, 5.2),
        camera=(2.7, 1.5, 2.4),
        window=_Opening("north", 0.9, 5.7, 0.3, 2.6),
        door=_Opening("west", 0.5, 1.4, 0.0, 2.1),
        walls=(
            ("north", (236, 231, 222)),
            ("south", (232, 226, 216)),
            ("east", (226, 220, 210)),
            ("west", (230, 226, 220)),
        ),
        floor="tiles",
        rug=(3.7, 1.1, 5.6, 3.9, (150, 156, 160)),
        decor=(
            ("panel", _Opening("west", 2.0, 4.6, 0.0, 2.85), (196, 192, 186)),
            ("tv", _Opening("west", 2.65, 3.95, 1.0, 1.75), (22, 24, 28)),
            ("art", _Opening("south", 2.3, 3.9, 1.35, 2.15), (236, 228, 214)),
            ("curtain", _Opening("north", 0.25, 0.85, 0.02, 2.8), (232, 222, 204)),
            ("curtain", _Opening("north", 5.75, 6.35, 0.02, 2.8), (232, 222, 204)),
        ),
        furniture=(
            *_sofa(5.62, 1.3, 3.7, (204, 198, 188)),
            _Furniture((4.25, 0.0, 2.05), (5.15, 0.34, 2.95), (236, 232, 226)),
            _Furniture((4.25, 0.34, 2.05), (5.15, 0.38, 2.95), (118, 86, 60)),
            _Furniture((0.0, 0.16, 2.2), (0.42, 0.52, 4.4), (116, 84, 60), doors=0.55),
            _Furniture((2.0, 0.0, 0.0), (4.2, 0.8, 0.45), (150, 112, 80), doors=0.55),
        ),
        sun=(0.3, 1.1, 1.0),
        ceiling_lamp="cove",
    ),
    "bedroom": _PanoRoom(
        size=(4.4, 2.8, 3.9),
        camera=(2.0, 1.5, 1.25),
        window=_Opening("east", 0.7, 3.1, 0.55, 2.45),
        door=_Opening("south", 0.9, 1.8, 0.0, 2.1),
        walls=(
            ("north", (214, 222, 214)),
            ("south", (226, 230, 224)),
            ("east", (230, 232, 226)),
            ("west", (222, 228, 222)),
        ),
        floor="planks",
        rug=(0.7, 1.3, 3.4, 3.0, (176, 168, 156)),
        decor=(
            ("panel", _Opening("north", 0.55, 3.45, 0.0, 2.8), (92, 112, 110)),
            ("art", _Opening("west", 2.6, 3.5, 1.3, 2.0), (236, 230, 220)),
            ("curtain", _Opening("east", 0.2, 0.65, 0.02, 2.75), (204, 214, 222)),
            ("curtain", _Opening("east", 3.15, 3.6, 0.02, 2.75), (204, 214, 222)),
        ),
        furniture=(
            _Furniture((0.95, 0.0, 3.78), (3.05, 1.15, 3.9), (196, 180, 160)),  # headboard
            _Furniture((1.1, 0.0, 1.85), (2.9, 0.48, 3.78), (232, 230, 226)),  # mattress
            _Furniture((1.08, 0.48, 1.83), (2.92, 0.55, 3.15), (96, 122, 140)),  # duvet
            _Furniture((1.3, 0.48, 3.3), (1.95, 0.66, 3.72), (246, 244, 240)),
            _Furniture((2.05, 0.48, 3.3), (2.7, 0.66, 3.72), (246, 244, 240)),
            _Furniture((0.4, 0.0, 3.4), (0.9, 0.5, 3.9), (150, 114, 82), doors=0.5),
            _Furniture((3.1, 0.0, 3.4), (3.6, 0.5, 3.9), (150, 114, 82), doors=0.5),
            _Furniture((0.0, 0.0, 0.25), (0.6, 2.3, 2.3), (222, 214, 200), doors=0.5),  # wardrobe
        ),
        sun=(1.0, 0.8, -0.25),
        ceiling_lamp="disc",
    ),
}

PANORAMA_KINDS: tuple[str, ...] = tuple(_PANO_ROOMS)

_WALL_FACES = {0: "west", 1: "east", 4: "south", 5: "north"}  # face ids; 2 floor, 3 ceiling, 6+ furniture


def _pano_room(kind: str) -> _PanoRoom:
    try:
        return _PANO_ROOMS[kind]
    except KeyError:
        raise ValueError(f"unknown panorama kind {kind!r}; expected one of {PANORAMA_KINDS}") from None


def _wall_point(room: _PanoRoom, wall: str, u: float, v: float) -> tuple[float, float, float]:
    width, _, depth = room.size
    return {"north": (u, v, depth), "south": (u, v, 0.0), "east": (width, v, u), "west": (0.0, v, u)}[wall]
