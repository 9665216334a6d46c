"""Equirectangular 360° panoramas of furnished rooms, ray-cast with NumPy.

Each equirectangular pixel is a view direction (longitude -180..180 left to right,
latitude 90..-90 top to bottom, longitude 0 = +z); we intersect it with an axis-aligned
room and its furniture and shade the hit point. Texturing happens in world coordinates,
so there is no seam at ±180° and straight room edges project exactly as a camera sees them.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

from ._drawing import _F32, _encode
from ._pano_rooms import PANORAMA_KINDS, _Furniture, _pano_room, _PanoRoom, _wall_point
from ._pano_shading import Rays, _Hits, _surface_color

__all__ = ["PANORAMA_KINDS", "door_direction", "panorama_scene"]


def door_direction(kind: str) -> tuple[float, float]:
    """(yaw, pitch) in degrees of the door's centre, Pannellum convention, for placing hotspots."""
    room = _pano_room(kind)
    u, _ = room.door.centre
    x, y, z = _wall_point(room, room.door.wall, u, 1.05)
    cx, cy, cz = room.camera
    dx, dy, dz = x - cx, y - cy, z - cz
    return round(math.degrees(math.atan2(dx, dz)), 2), round(
        math.degrees(math.atan2(dy, math.hypot(dx, dz))), 2
    )


_PixelWindow = tuple[int, int, list[tuple[int, int]]]


def _pixel_window(item: _Furniture, camera: tuple[float, float, float], w: int, h: int) -> _PixelWindow:
    """Rows and column ranges of the panorama that can possibly see `item` (conservative bounds)."""
    cx, cy, cz = camera
    (x0, y0, z0), (x1, y1, z1) = item.lo, item.hi
    corners = [(x - cx, z - cz) for x in (x0, x1) for z in (z0, z1)]
    nearest = math.hypot(max(x0 - cx, 0, cx - x1), max(z0 - cz, 0, cz - z1))
    farthest = max(math.hypot(x, z) for x, z in corners)
    lat_top = math.atan2(y1 - cy, nearest if y1 > cy else farthest)
    lat_bottom = math.atan2(y0 - cy, nearest if y0 < cy else farthest)
    row0 = max(0, math.floor((math.pi / 2 - lat_top) / math.pi * h) - 1)
    row1 = min(h, math.ceil((math.pi / 2 - lat_bottom) / math.pi * h) + 1)
    if nearest == 0:
        return row0, row1, [(0, w)]
    lons = [math.atan2(x, z) for x, z in corners]
    if max(lons) - min(lons) > math.pi:  # straddles the ±180° seam
        lons = [lon + 2 * math.pi if lon < 0 else lon for lon in lons]
    c0 = math.floor((min(lons) + math.pi) / (2 * math.pi) * w) - 1
    c1 = math.ceil((max(lons) + math.pi) / (2 * math.pi) * w) + 1
    if c1 <= w:
        return row0, row1, [(max(c0, 0), c1)]
    return row0, row1, [(max(c0, 0), w), (0, c1 - w)]


def _intersect_furniture(
    item: _Furniture,
    index: int,
    camera: tuple[float, float, float],
    d: Rays,
    t: np.ndarray,
    face: np.ndarray,
    axis: np.ndarray,
) -> None:
    """Slab test; updates the nearest-hit arrays (views into the strip) in place."""
    near_parts, far_parts = [], []
    with np.errstate(divide="ignore", invalid="ignore"):
        for component, c, lo, hi in zip(d, camera, item.lo, item.hi, strict=True):
            inverse = 1 / component
            t_lo, t_hi = (lo - c) * inverse, (hi - c) * inverse
            near_parts.append(np.minimum(t_lo, t_hi))
            far_parts.append(np.maximum(t_lo, t_hi))
    near = np.maximum(np.maximum(near_parts[0], near_parts[1]), near_parts[2])
    far = np.minimum(np.minimum(far_parts[0], far_parts[1]), far_parts[2])
    hit = (near <= far) & (near > 0) & (near < t)
    t[hit] = near[hit]
    face[hit] = 6 + index
    axis[hit] = np.where(near == near_parts[0], 0, np.where(near == near_parts[1], 1, 2))[hit]


def _room_hits(room: _PanoRoom, d: Rays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance, face id and normal axis where each ray leaves the empty room box."""
    dx, dy, dz = d
    width, height, depth = room.size
    cx, cy, cz = room.camera
    with np.errstate(divide="ignore"):
        tx = np.where(dx > 0, width - cx, cx) / np.abs(dx)
        ty = np.where(dy > 0, height - cy, cy) / np.abs(dy)
        tz = np.where(dz > 0, depth - cz, cz) / np.abs(dz)
    t = np.minimum(np.minimum(tx, ty), tz)
    # Face ids pair up by axis (0/1 west/east, 2/3 floor/ceiling, 4/5 south/north): +1 on the far side.
    axis = np.where(tx == t, 0, np.where(ty == t, 1, 2)).astype(np.int8)
    positive = np.choose(axis, d) > 0
    return t, (axis * 2 + positive).astype(np.int8), axis


def _shade_rays(
    room: _PanoRoom, d: Rays, t: np.ndarray, face: np.ndarray, axis: np.ndarray, w: int, seed: int
) -> np.ndarray:
    """Colour of every ray (flat arrays), surface by surface."""
    cx, cy, cz = room.camera
    cosine = np.abs(np.choose(axis, d))
    footprint = t * _F32(2 * math.pi / w) / np.maximum(cosine, 0.08)
    rgb = np.empty((t.size, 3), _F32)
    for face_id in np.flatnonzero(np.bincount(face)):
        idx = np.flatnonzero(face == face_id)
        ray = tuple(c[idx] for c in d)
        hits = _Hits(
            cx + t[idx] * ray[0],
            cy + t[idx] * ray[1],
            cz + t[idx] * ray[2],
            ray,  # type: ignore[arg-type]
            footprint[idx],
            axis[idx],
        )
        rgb[idx] = _surface_color(room, int(face_id), hits, seed)
    return rgb


def _geometry_edges(face: np.ndarray) -> np.ndarray:
    """Pixels next to a change of surface: the only ones that need supersampling."""
    edge = face != np.roll(face, 1, axis=1)  # rolls wrap around the ±180° seam
    edge |= face != np.roll(face, -1, axis=1)
    edge[1:] |= face[1:] != face[:-1]
    edge[:-1] |= face[:-1] != face[1:]
    return edge


_SUBPIXELS = ((-0.25, -0.25), (0.25, -0.25), (-0.25, 0.25), (0.25, 0.25))


def _render_strip(
    room: _PanoRoom,
    rows: np.ndarray,
    size: tuple[int, int],
    trig: tuple[np.ndarray, np.ndarray],
    windows: list[_PixelWindow],
    seed: int,
) -> np.ndarray:
    w, h = size
    # One extra row each side so surface edges on the strip border are found too.
    first, last = max(int(rows[0]) - 1, 0), min(int(rows[-1]) + 2, h)
    lat = (math.pi / 2 - (np.arange(first, last, dtype=_F32) + 0.5) / h * math.pi).astype(_F32)
    sin_lon, cos_lon = trig
    cos_lat, sin_lat = np.cos(lat)[:, None], np.sin(lat)[:, None]
    d = (cos_lat * sin_lon, np.repeat(sin_lat, w, axis=1), cos_lat * cos_lon)
    t, face, axis = _room_hits(room, d)
    for index, (item, (row0, row1, column_ranges)) in enumerate(zip(room.furniture, windows, strict=True)):
        a, b = max(row0 - first, 0), min(row1 - first, last - first)
        for c0, c1 in column_ranges if a < b else ():
            block = (slice(a, b), slice(c0, c1))
            _intersect_furniture(
                item,
                index,
                room.camera,
                tuple(c[block] for c in d),  # type: ignore[arg-type]
                t[block],
                face[block],
                axis[block],
            )

    core = slice(int(rows[0]) - first, int(rows[0]) - first + len(rows))
    edges = _geometry_edges(face)[core]
    d, t, face, axis = tuple(c[core] for c in d), t[core], face[core], axis[core]
    rgb = _shade_rays(room, tuple(c.ravel() for c in d), t.ravel(), face.ravel(), axis.ravel(), w, seed)  # type: ignore[arg-type]
    rgb = rgb.reshape(len(rows), w, 3)

    ys, xs = np.nonzero(edges)
    if ys.size:  # 4× supersampling, but only along silhouettes and room edges
        lat_s = np.concatenate([math.pi / 2 - (rows[ys] + 0.5 + oy) / h * math.pi for _, oy in _SUBPIXELS])
        lon_s = np.concatenate([(xs + 0.5 + ox) / w * 2 * math.pi - math.pi for ox, _ in _SUBPIXELS])
        cos_s = np.cos(lat_s).astype(_F32)
        d_s = (
            cos_s * np.sin(lon_s).astype(_F32),
            np.sin(lat_s).astype(_F32),
            cos_s * np.cos(lon_s).astype(_F32),
        )
        t_s, face_s, axis_s = _room_hits(room, d_s)
        for index, item in enumerate(room.furniture):
            _intersect_furniture(item, index, room.camera, d_s, t_s, face_s, axis_s)
        samples = _shade_rays(room, d_s, t_s, face_s, axis_s, w, seed)
        rgb[ys, xs] = samples.reshape(len(_SUBPIXELS), ys.size, 3).mean(axis=0)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def panorama_scene(*, kind: str, size: tuple[int, int] = (4096, 2048), seed: int = 0) -> bytes:
    """Equirectangular 360° JPEG of a furnished room (`living` or `bedroom`) for Pannellum."""
    room = _pano_room(kind)
    w, h = size
    if w != 2 * h:
        raise ValueError(f"an equirectangular panorama is 2:1, got {w}×{h}")
    lon = ((np.arange(w, dtype=np.float64) + 0.5) / w * 2 - 1) * math.pi
    trig = (np.sin(lon).astype(_F32)[None, :], np.cos(lon).astype(_F32)[None, :])
    windows = [_pixel_window(item, room.camera, w, h) for item in room.furniture]
    strips = np.array_split(np.arange(h), max(1, h // 96))
    # NumPy releases the GIL inside its loops, so strips render in parallel on threads.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        parts = list(pool.map(lambda rows: _render_strip(room, rows, size, trig, windows, seed), strips))
    return _encode(Image.fromarray(np.concatenate(parts)), "JPEG")
