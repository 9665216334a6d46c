"""Scene titles and hotspot labels are staff-entered text: the VR viewer shows them as text, never as markup."""

import pytest
from django.core.files.base import ContentFile

from yunlou.catalogue.models import PanoramaHotspot, PanoramaScene
from yunlou.catalogue.tests.factories import ProjectFactory
from yunlou.demo import media

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ATTACK = '<img src=x onerror="window.__injected=1">'


def test_markup_in_titles_and_hotspots_is_shown_as_text(live_server, phone):
    project = ProjectFactory()
    scenes = []
    for key in ("living", "bedroom"):
        scene = PanoramaScene(project=project, key=key, title=f"{key} {ATTACK}", is_entry=key == "living")
        scene.image.save(f"{key}.jpg", ContentFile(media.panorama_scene(kind=key, size=(1024, 512))), save=False)
        scene.save()
        scenes.append(scene)
    yaw, pitch = media.door_direction("living")
    PanoramaHotspot.objects.create(scene=scenes[0], target_scene=scenes[1], yaw=yaw, pitch=pitch, text=ATTACK)

    phone.goto(f"{live_server.url}/p/{project.pk}/vr/")
    phone.wait_for_function("() => window.yunlouTour && window.yunlouTour.isLoaded()", timeout=20_000)
    phone.evaluate(f"yunlouTour.lookAt({pitch}, {yaw}, 90, false)")
    phone.locator(".pnlm-hotspot-base.pnlm-scene").first.hover()
    phone.wait_for_timeout(300)
    assert phone.evaluate("window.__injected") is None
    assert ATTACK in phone.locator(".pnlm-title-box").inner_text()
    assert phone.locator(".pnlm-hotspot-base img, .pnlm-title-box img").count() == 0
