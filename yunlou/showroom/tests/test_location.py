from decimal import Decimal
from urllib.parse import parse_qs, urlparse

from yunlou.catalogue.models import Project
from yunlou.showroom.location import map_links


def test_map_links_put_the_coordinates_in_each_apps_order():
    project = Project(name="云栖府", address="文一西路", latitude=Decimal("30.2892"), longitude=Decimal("120.0065"))
    links = dict(map_links(project))
    amap = parse_qs(urlparse(links["高德地图"]).query)
    assert amap["position"] == ["120.0065,30.2892"] and amap["name"] == ["云栖府"]
    baidu = parse_qs(urlparse(links["百度地图"]).query)
    assert baidu["location"] == ["30.2892,120.0065"] and baidu["coord_type"] == ["gcj02"]
    apple = parse_qs(urlparse(links["Apple 地图"]).query)
    assert apple["ll"] == ["30.2892,120.0065"]


def test_no_coordinates_no_links():
    assert map_links(Project(name="x")) == []
