"""Colour of the panorama's ray hits, surface by surface, on flat arrays of hit points.

Textured floors, ceilings with lamps, walls with decor, the door, the view out of the window,
upholstered furniture, and the room's lighting and sunlight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._drawing import _F32, Color
from ._pano_rooms import _WALL_FACES, _Furniture, _Opening, _PanoRoom, _wall_point


def _hash01(a: np.ndarray, b: np.ndarray | int, seed: int) -> np.ndarray:
    """Deterministic per-cell random numbers in [0, 1] (tile tones, plank shades, lit windows)."""
    h = (
        np.asarray(a, dtype=np.int64) * 73856093
        ^ np.asarray(b, dtype=np.int64) * 19349663
        ^ (seed * 83492791)
    )
    h = (h ^ (h >> 13)) * 1274126177
    return ((h ^ (h >> 16)) & 0xFFFF).astype(_F32) / _F32(65535)


def _periodic_distance(coord: np.ndarray, period: float) -> np.ndarray:
    return np.abs((coord / period + 0.5) % 1.0 - 0.5) * period


def _coverage(dist: np.ndarray, half_width: float | np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """Anti-aliased share of a pixel covered by a band of `half_width` around dist == 0.

    Thin lines seen from afar fade to their average tone instead of flickering.
    """
    effective = np.maximum(half_width, footprint * 0.5)
    return np.clip((effective - dist) / (footprint * 0.5) + 0.5, 0, 1) * (half_width / effective)


def _inside(
    u: np.ndarray, v: np.ndarray, rect: _Opening, footprint: np.ndarray, grow: float = 0.0
) -> np.ndarray:
    margin = np.minimum(np.minimum(u - rect.u0, rect.u1 - u), np.minimum(v - rect.v0, rect.v1 - v)) + grow
    return np.clip(margin / footprint + 0.5, 0, 1)


def _blend(rgb: np.ndarray, color: Color | np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Mix `color` into `rgb` in place by a per-pixel `amount`, touching only affected pixels."""
    idx = np.flatnonzero(amount > 1e-3)
    if idx.size:
        target = np.asarray(color, _F32)
        if target.ndim == 2:
            target = target[idx]
        rgb[idx] += (target - rgb[idx]) * amount[idx, None]
    return rgb


def _solid(color: Color, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(color, _F32), (n, 3)).copy()


def _near(u: np.ndarray, v: np.ndarray, rect: _Opening, margin: float) -> np.ndarray:
    """Indices of points within `margin` of a rectangle, so detail work runs on few pixels."""
    return np.flatnonzero(
        (u > rect.u0 - margin) & (u < rect.u1 + margin) & (v > rect.v0 - margin) & (v < rect.v1 + margin)
    )


Rays = tuple[np.ndarray, np.ndarray, np.ndarray]  # dx, dy, dz of unit view directions


@dataclass
class _Hits:
    """Hit points and view rays for the pixels that landed on one surface (flat arrays)."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    d: Rays
    footprint: np.ndarray  # pixel size on the surface, m, for anti-aliasing
    axis: np.ndarray  # 0, 1, 2: which axis the surface normal lies along


def _wall_uv(wall: str, hits: _Hits) -> tuple[np.ndarray, np.ndarray]:
    return (hits.x if wall in ("north", "south") else hits.z), hits.y


def _tile_texture(x: np.ndarray, z: np.ndarray, fp: np.ndarray, seed: int) -> np.ndarray:
    size = 0.8
    cell = _hash01(np.floor(x / size), np.floor(z / size), seed)
    detail = np.clip(1 - fp / 0.03, 0, 1)  # fade fine texture where it would alias
    swirl = np.abs(np.sin(x * 2.1 + z * 1.3 + 2.4 * np.sin(z * 1.7 - x * 0.9 + cell * 6.28)))
    vein = np.clip(1 - swirl / 0.06, 0, 1) * 0.07 * detail
    rgb = np.asarray((222, 214, 202), _F32) * ((0.96 + 0.06 * cell) * (1 - vein))[:, None]
    grout = np.maximum(
        _coverage(_periodic_distance(x, size), 0.0015, fp), _coverage(_periodic_distance(z, size), 0.0015, fp)
    )
    return _blend(rgb, (176, 168, 156), grout)


def _plank_texture(x: np.ndarray, z: np.ndarray, fp: np.ndarray, seed: int) -> np.ndarray:
    width, length = 0.19, 1.6
    row = np.floor(x / width)
    along = z + _hash01(row, 7, seed) * length  # stagger the plank ends row by row
    tone = 0.86 + 0.2 * _hash01(row, np.floor(along / length), seed)
    detail = np.clip(1 - fp / 0.03, 0, 1)
    grain = 0.045 * np.sin(x * 70 + 2.5 * np.sin(z * 2.2 + row)) * detail
    rgb = np.asarray((180, 138, 98), _F32) * (tone * (1 + grain))[:, None]
    seams = np.maximum(
        _coverage(_periodic_distance(x, width), 0.0012, fp),
        _coverage(_periodic_distance(along, length), 0.0012, fp),
    )
    return _blend(rgb, (104, 74, 50), seams * 0.8)


def _floor_color(room: _PanoRoom, hits: _Hits, seed: int) -> np.ndarray:
    x, z, fp = hits.x, hits.z, hits.footprint
    texture = _tile_texture if room.floor == "tiles" else _plank_texture
    rgb = texture(x, z, fp, seed)

    x0, z0, x1, z1, rug_color = room.rug
    rug = _Opening("floor", x0, x1, z0, z1)
    idx = _near(x, z, rug, 0.02)
    if idx.size:
        border = 1 - _inside(x[idx], z[idx], rug, fp[idx], grow=-0.1)
        rug_rgb = np.asarray(rug_color, _F32) * (1 - 0.12 * border)[:, None]
        rgb[idx] = _blend(rgb[idx], rug_rgb, _inside(x[idx], z[idx], rug, fp[idx]))

    for item in room.furniture:  # soft contact shadows around anything standing near the floor
        if item.lo[1] > 0.25:
            continue
        footprint = _Opening("floor", item.lo[0], item.hi[0], item.lo[2], item.hi[2])
        idx = _near(x, z, footprint, 0.5)
        ox = np.maximum(np.maximum(item.lo[0] - x[idx], x[idx] - item.hi[0]), 0)
        oz = np.maximum(np.maximum(item.lo[2] - z[idx], z[idx] - item.hi[2]), 0)
        rgb[idx] *= (1 - 0.4 * np.exp(-np.hypot(ox, oz) / 0.12))[:, None]
    return rgb


def _ceiling_lamps(room: _PanoRoom) -> tuple[list[tuple[float, float]], float, float]:
    """Lamp centres on the ceiling plus their radius and glow radius, in metres."""
    width, _, depth = room.size
    if room.ceiling_lamp == "disc":
        return [(width / 2, depth / 2)], 0.28, 0.3
    inset = 0.35  # downlights in the dropped band round the edge of the room
    xs = np.linspace(inset, width - inset, max(2, round(width / 1.3)))
    zs = np.linspace(inset, depth - inset, max(2, round(depth / 1.3)))
    ring = {(float(x), inset) for x in xs} | {(float(x), depth - inset) for x in xs}
    ring |= {(inset, float(z)) for z in zs} | {(width - inset, float(z)) for z in zs}
    return sorted(ring), 0.05, 0.12


def _ceiling_color(room: _PanoRoom, hits: _Hits) -> np.ndarray:
    width, _, depth = room.size
    x, z, fp = hits.x, hits.z, hits.footprint
    rgb = _solid((238, 236, 232), len(x))
    if room.ceiling_lamp == "cove":
        # Recessed central panel edged with a warm LED strip.
        inner = _Opening("ceiling", 0.75, width - 0.75, 0.75, depth - 0.75)
        rgb = _blend(rgb, (248, 246, 242), _inside(x, z, inner, fp))
        edge = np.abs(
            np.minimum(np.minimum(x - inner.u0, inner.u1 - x), np.minimum(z - inner.v0, inner.v1 - z))
        )
        idx = np.flatnonzero(edge < 0.6)
        rgb[idx] += np.asarray((40, 34, 22), _F32) * np.exp(-edge[idx] / 0.12)[:, None]
        rgb = _blend(rgb, (255, 250, 236), _coverage(edge, 0.012, fp))
    rgb = _lit(room, 3, hits, rgb)
    lamps, radius, halo = _ceiling_lamps(room)
    reach = radius + halo * 4
    lamp_xs, lamp_zs = [lx for lx, _ in lamps], [lz for _, lz in lamps]
    region = _Opening("ceiling", min(lamp_xs), max(lamp_xs), min(lamp_zs), max(lamp_zs))
    candidates = _near(x, z, region, reach)  # one pass over the ceiling, then per lamp on few pixels
    cx, cz = x[candidates], z[candidates]
    for lx, lz in lamps:
        idx = candidates[(np.abs(cx - lx) < reach) & (np.abs(cz - lz) < reach)]
        dist = np.hypot(x[idx] - lx, z[idx] - lz)
        rgb[idx] += np.asarray((34, 30, 20), _F32) * np.exp(-np.maximum(dist - radius, 0) / halo)[:, None]
        rgb[idx] = _blend(rgb[idx], (255, 252, 244), _coverage(dist, radius, fp[idx]))
        rgb[idx] = _blend(rgb[idx], (196, 190, 180), _coverage(np.abs(dist - radius), 0.008, fp[idx]))
    return rgb


_VIEW_HEIGHT_M = 48.0  # the show flat is on the 16th floor, so the window looks down on the city


def _building_layer(
    rgb: np.ndarray,
    azimuth: np.ndarray,
    elevation: np.ndarray,
    layer: int,
    ring: tuple[float, float, float, float, float],
    tone: Color,
    seed: int,
) -> None:
    """Overwrite (in place) the directions blocked by one row of buildings facing the window."""
    near, far, low, high, gaps = ring
    mean_distance = (near + far) / 2
    lateral = mean_distance * np.tan(azimuth)
    slot = np.floor(lateral / 45.0 + layer * 0.37)  # plots about 45 m wide
    distance = near + (far - near) * _hash01(slot, layer, seed)
    tall = low + (high - low) * _hash01(slot, layer + 10, seed) ** 1.5
    # Facades are planes parallel to the window, so their roof and base lines stay straight.
    reach = distance / np.maximum(np.cos(azimuth), 0.05)
    top = np.arctan((tall - _VIEW_HEIGHT_M) / reach)
    bottom = -np.arctan(_VIEW_HEIGHT_M / reach)
    standing = _hash01(slot, layer + 30, seed) > gaps
    idx = np.flatnonzero(standing & (elevation < top) & (elevation > bottom))
    if not idx.size:
        return
    shade = (0.9 + 0.16 * _hash01(slot[idx], layer + 20, seed)).astype(_F32)
    above_ground = _VIEW_HEIGHT_M + np.tan(elevation[idx]) * reach[idx]
    shade *= 0.72 + 0.28 * np.clip(above_ground / 12.0, 0, 1)  # podium shadow grounds the towers
    if mean_distance < 500:  # close enough for individual windows to be more than a shimmer
        across = distance[idx] * np.tan(azimuth[idx]) / 3.4
        up = above_ground / 3.0
        glazing = (_periodic_distance(across, 1.0) < 0.3) & (_periodic_distance(up, 1.0) < 0.25)
        shade = shade * np.where(glazing, 0.84, 1.0)
    rgb[idx] = np.asarray(tone, _F32) * shade[:, None]


def _outside_view(room: _PanoRoom, d: Rays, seed: int) -> np.ndarray:
    """Sky and city seen from a high floor; depends only on the view direction (scene at infinity)."""
    dx, dy, dz = d
    forward, lateral = (dz, dx) if room.window.wall in ("north", "south") else (dx, -dz)
    azimuth = np.arctan2(lateral, np.abs(forward))
    elevation = np.arcsin(np.clip(dy, -1, 1))
    sky = np.stack(
        [
            np.interp(elevation, (0.0, 0.3, 1.2), stops)
            for stops in ((232, 180, 104), (228, 206, 152), (222, 232, 214))
        ],
        axis=-1,
    ).astype(_F32)
    # Parkland far below fading into haze at the horizon, in soft patches rather than a grid.
    patches = 0.5 + 0.5 * np.sin(azimuth * 9 + 3 * np.sin(elevation * 13)) * np.sin(
        elevation * 17 + azimuth * 4
    )
    park = np.asarray((96, 124, 88), _F32) * (0.85 + 0.25 * patches)[:, None]
    haze = np.clip(-elevation / 0.25, 0, 1)[:, None]
    ground = np.asarray((206, 212, 218), _F32) * (1 - haze) + park * haze
    rgb = np.where((elevation < 0)[:, None], ground, sky).astype(_F32)
    rings = (  # nearest distance, farthest, lowest roof, highest roof (m), share of empty plots
        ((2500.0, 4000.0, 60.0, 160.0, 0.1), (196, 202, 214)),
        ((700.0, 1400.0, 50.0, 160.0, 0.2), (172, 178, 194)),
        ((220.0, 420.0, 60.0, 150.0, 0.4), (160, 160, 170)),
    )
    for layer, (ring, tone) in enumerate(rings):
        _building_layer(rgb, azimuth, elevation, layer, ring, tone, seed)
    return rgb


def _decor_color(
    kind: str, rect: _Opening, color: Color, u: np.ndarray, v: np.ndarray, fp: np.ndarray
) -> np.ndarray:
    base = _solid(color, len(u))
    if kind == "panel":  # timber or fabric wall panelling with vertical grooves
        return base * (1 - 0.18 * _coverage(_periodic_distance(u - rect.u0, 0.32), 0.004, fp))[:, None]
    if kind == "tv":
        sheen = np.clip(1 - np.abs((u - rect.u0) - (rect.v1 - v) * 1.5) / 0.5, 0, 1)
        return base + 14 * sheen[:, None]
    if kind == "curtain":
        return base * (0.92 + 0.08 * np.cos((u - rect.u0) * math.tau / 0.12))[:, None]
    # Framed abstract print: three colour fields on a mat inside a thin walnut frame.
    share = ((u - rect.u0) / (rect.u1 - rect.u0))[:, None]
    fields = np.where(
        share < 0.4,
        np.asarray((206, 150, 96), _F32),
        np.where(share < 0.7, np.asarray((70, 98, 122), _F32), np.asarray((184, 172, 150), _F32)),
    )
    inner = _Opening(rect.wall, rect.u0 + 0.1, rect.u1 - 0.1, rect.v0 + 0.1, rect.v1 - 0.1)
    art = _blend(base, fields, _inside(u, v, inner, fp))
    return _blend(art, (96, 72, 52), 1 - _inside(u, v, rect, fp, grow=-0.035))


def _door_color(
    door: _Opening, u: np.ndarray, v: np.ndarray, fp: np.ndarray, wall_rgb: np.ndarray
) -> np.ndarray:
    grain = 1 + 0.04 * np.sin((u - door.u0) * 90 + 2 * np.sin(v * 3))
    inset = _Opening(door.wall, door.u0 + 0.13, door.u1 - 0.13, 0.15, door.v1 - 0.15)
    groove = _coverage(np.abs(_inside(u, v, inset, fp) - 0.5) * fp, 0.003, fp)
    leaf = np.asarray((148, 106, 72), _F32) * (grain * (1 - 0.25 * groove))[:, None]
    leaf = _blend(leaf, (200, 196, 186), _coverage(np.hypot(u - (door.u1 - 0.1), v - 1.0), 0.035, fp))
    rgb = _blend(wall_rgb, (244, 242, 236), _inside(u, v, door, fp, grow=0.07))  # architrave
    return _blend(rgb, leaf, _inside(u, v, door, fp))


def _window_color(
    room: _PanoRoom, hits: _Hits, u: np.ndarray, v: np.ndarray, wall_rgb: np.ndarray, seed: int
) -> np.ndarray:
    window, fp = room.window, hits.footprint
    view = _outside_view(room, hits.d, seed)
    pane = (window.u1 - window.u0) / max(2, round((window.u1 - window.u0) / 1.25))
    view = _blend(view, (74, 74, 78), _coverage(_periodic_distance(u - window.u0, pane), 0.03, fp))
    rgb = _blend(wall_rgb, (74, 74, 78), _inside(u, v, window, fp, grow=0.06))
    return _blend(rgb, view, _inside(u, v, window, fp))


def _wall_color(room: _PanoRoom, face: int, hits: _Hits, seed: int) -> np.ndarray:
    wall = _WALL_FACES[face]
    u, v = _wall_uv(wall, hits)
    fp = hits.footprint
    rgb = _solid(dict(room.walls)[wall], len(u))
    for kind, rect, color in room.decor:
        idx = _near(u, v, rect, 0.02) if rect.wall == wall else ()
        if len(idx):
            rgb[idx] = _blend(
                rgb[idx],
                _decor_color(kind, rect, color, u[idx], v[idx], fp[idx]),
                _inside(u[idx], v[idx], rect, fp[idx]),
            )
    low = np.flatnonzero(v < 0.15)
    rgb[low] = _blend(rgb[low], (246, 244, 240), np.clip((0.08 - v[low]) / fp[low] + 0.5, 0, 1))  # skirting
    rgb[low] = _blend(rgb[low], (200, 196, 190), _coverage(np.abs(v[low] - 0.08), 0.002, fp[low]))
    if room.door.wall == wall:
        idx = _near(u, v, room.door, 0.1)
        rgb[idx] = _door_color(room.door, u[idx], v[idx], fp[idx], rgb[idx])
    rgb = _lit(room, face, hits, rgb)
    if room.window.wall == wall:  # composited after lighting: the view outside isn't lit by the room
        idx = _near(u, v, room.window, 0.1)
        sub = _Hits(
            hits.x[idx],
            hits.y[idx],
            hits.z[idx],
            tuple(c[idx] for c in hits.d),  # type: ignore[arg-type]
            fp[idx],
            hits.axis[idx],
        )
        rgb[idx] = _window_color(room, sub, u[idx], v[idx], rgb[idx], seed)
    return rgb


def _sunlight(room: _PanoRoom, hits: _Hits) -> np.ndarray:
    """How much direct sun reaches each point through the window panes (0..1)."""
    sx, sy, sz = room.sun
    norm = math.sqrt(sx * sx + sy * sy + sz * sz)
    sx, sy, sz = sx / norm, sy / norm, sz / norm
    window = room.window
    wx, _, wz = _wall_point(room, window.wall, 0.0, 0.0)
    if window.wall in ("north", "south"):
        s = (wz - hits.z) / sz
        u = hits.x + s * sx
    else:
        s = (wx - hits.x) / sx
        u = hits.z + s * sz
    v = hits.y + s * sy
    soft = np.maximum(0.02, 0.03 * s)  # penumbra widens with distance from the window
    lit = _inside(u, v, window, soft) * (s > 0.01)
    pane = (window.u1 - window.u0) / max(2, round((window.u1 - window.u0) / 1.25))
    return lit * (1 - _coverage(_periodic_distance(u - window.u0, pane), 0.03, soft))


def _room_lighting(room: _PanoRoom, face: int, hits: _Hits) -> np.ndarray:
    """Ambient occlusion in corners plus a gentle falloff away from the window."""
    width, height, depth = room.size
    planes = [hits.x, width - hits.x, hits.y, height - hits.y, hits.z, depth - hits.z]
    planes[face] = np.full_like(hits.x, np.inf)  # face ids follow the same order
    nearest = np.minimum.reduce(planes)
    occlusion = 1 - 0.3 * np.exp(-nearest / 0.3)
    wx, wy, wz = _wall_point(room, room.window.wall, *room.window.centre)
    to_window = np.sqrt((hits.x - wx) ** 2 + (hits.y - wy) ** 2 + (hits.z - wz) ** 2)
    return occlusion * (0.86 + 0.14 * np.exp(-to_window / 3.0))


def _lit(room: _PanoRoom, face: int, hits: _Hits, rgb: np.ndarray) -> np.ndarray:
    """Room-surface lighting: occlusion, window falloff and the sun patch (not on the ceiling)."""
    rgb = rgb * _room_lighting(room, face, hits)[:, None]
    if face == 3:
        return rgb
    return rgb + np.asarray((255, 220, 160), _F32) * (0.22 * _sunlight(room, hits))[:, None]


def _furniture_color(room: _PanoRoom, item: _Furniture, hits: _Hits) -> np.ndarray:
    coords = (hits.x, hits.y, hits.z)
    # Outward normal: opposite to the ray along the hit axis.
    normal_sign = -np.sign(np.choose(hits.axis, hits.d))
    top = (hits.axis == 1) & (normal_sign > 0)
    bottom = (hits.axis == 1) & (normal_sign < 0)
    sun_along = np.asarray(room.sun, _F32)[hits.axis]
    light = np.where(top, 1.06, np.where(bottom, 0.55, 0.82 + 0.1 * np.sign(sun_along) * normal_sign))
    sides = ~(top | bottom)
    light = light * np.where(sides, 0.72 + 0.28 * np.clip(hits.y / 0.3, 0, 1), 1.0)
    # Darken a thin band along the edges so blocks read as upholstered, bevelled shapes.
    edge = np.full_like(hits.x, np.inf)
    for axis, (c, lo, hi) in enumerate(zip(coords, item.lo, item.hi, strict=True)):
        edge = np.where(hits.axis != axis, np.minimum(edge, np.minimum(c - lo, hi - c)), edge)
    light = light * (1 - 0.25 * _coverage(np.maximum(edge, 0), 0.006, hits.footprint))
    if item.doors:  # cabinet fronts: door joints and a handle near the top of each door
        across = np.where(hits.axis == 0, hits.z - item.lo[2], hits.x - item.lo[0])
        joint = _coverage(_periodic_distance(across, item.doors), 0.003, hits.footprint)
        handle_y = min(item.hi[1] - 0.12, 1.1)
        handle = _coverage(
            np.hypot(_periodic_distance(across - 0.06, item.doors), hits.y - handle_y), 0.02, hits.footprint
        )
        light = light * (1 - 0.3 * joint * sides) * (1 - 0.45 * handle * sides)
    return np.asarray(item.color, _F32) * light[:, None]


def _surface_color(room: _PanoRoom, face: int, hits: _Hits, seed: int) -> np.ndarray:
    if face >= 6:
        return _furniture_color(room, room.furniture[face - 6], hits)
    if face == 2:
        return _lit(room, face, hits, _floor_color(room, hits, seed))
    if face == 3:
        return _ceiling_color(room, hits)
    return _wall_color(room, face, hits, seed)
