"""One-tap "open in map app" links. Coordinates are stored as GCJ-02 (what 高德 and Apple Maps in China
use); Baidu is told so with coord_type=gcj02 instead of converting to its BD-09 ourselves."""

from urllib.parse import urlencode

from yunlou.catalogue.models import Project


def map_links(project: Project) -> list[tuple[str, str]]:
    if project.latitude is None or project.longitude is None:
        return []
    lat, lng = f"{project.latitude:f}", f"{project.longitude:f}"
    name = project.name
    return [
        ("高德地图", "https://uri.amap.com/marker?" + urlencode(
            {"position": f"{lng},{lat}", "name": name, "src": "yunlou", "coordinate": "gaode", "callnative": 1})),
        ("百度地图", "https://api.map.baidu.com/marker?" + urlencode(
            {"location": f"{lat},{lng}", "title": name, "content": project.address, "output": "html",
             "coord_type": "gcj02", "src": "yunlou"})),
        ("Apple 地图", "https://maps.apple.com/?" + urlencode({"ll": f"{lat},{lng}", "q": name})),
    ]
