"""Stylised architectural renderings of a project, one scene per photo kind."""

from __future__ import annotations

from ._drawing import _caption, _encode
from ._photo_exterior import _exterior_scene
from ._photo_garden import _garden_scene
from ._photo_lobby import _lobby_scene
from ._photo_showflat import _showflat_scene

_SCENES = {
    "exterior": _exterior_scene,
    "garden": _garden_scene,
    "lobby": _lobby_scene,
    "showflat": _showflat_scene,
}


def project_photo(*, title: str, kind: str, seed: int = 0, size: tuple[int, int] = (1600, 900)) -> bytes:
    """Stylised architectural rendering (JPEG) of `kind`: exterior, garden, lobby or showflat."""
    try:
        scene = _SCENES[kind]
    except KeyError:
        raise ValueError(f"unknown photo kind {kind!r}; expected one of {sorted(_SCENES)}") from None
    img = scene(size, seed)
    _caption(img, title)
    return _encode(img, "JPEG")
