import pytest

from yunlou.catalogue.models import PanoramaHotspot, PanoramaScene, ProjectPhoto, ProjectVideo
from yunlou.catalogue.tests.factories import building_with_units

TINY_JPEG = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00C\x00" + b"\x08" * 64
             + b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00\xff\xc4\x00\x14\x00\x01" + b"\x00" * 15
             + b"\x03\xff\xda\x00\x08\x01\x01\x00\x00?\x00\x37\xff\xd9")


def add_photos(project, count):
    from django.core.files.base import ContentFile

    for n in range(count):
        photo = ProjectPhoto(project=project, caption=f"效果图{n}", sort_order=n)
        photo.image.save(f"p{project.pk}-{n}.jpg", ContentFile(TINY_JPEG), save=False)
        photo.save()


@pytest.fixture
def showroom(project, plans, building, consultant):
    """A published project with photos, a video, a two-scene VR tour and a consultant."""
    from django.core.files.base import ContentFile

    add_photos(project, 2)
    video = ProjectVideo(project=project, title="宣传片")
    video.file.save("v.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42"), save=False)
    video.save()
    scenes = []
    for key, title in (("living", "客厅"), ("bedroom", "主卧")):
        scene = PanoramaScene(project=project, key=key, title=title, is_entry=key == "living")
        scene.image.save(f"{key}.jpg", ContentFile(TINY_JPEG), save=False)
        scene.save()
        scenes.append(scene)
    PanoramaHotspot.objects.create(scene=scenes[0], target_scene=scenes[1], yaw=-118, pitch=-8, text="进入主卧")
    PanoramaHotspot.objects.create(scene=scenes[1], target_scene=scenes[0], yaw=-152, pitch=-17, text="返回客厅")
    return project


@pytest.fixture
def tower(project, plans):
    return building_with_units(project=project, number="8", floors=40, units_per_floor=8, plans=plans)
