"""Rules that tie records to their own project or organisation, checked wherever staff edit them."""

import pytest
from django.core.exceptions import ValidationError

from yunlou.accounts.admin import MembershipForm
from yunlou.catalogue.models import PanoramaHotspot, PanoramaScene
from yunlou.catalogue.tests.factories import FloorPlanFactory, ProjectFactory


def test_a_unit_cannot_take_another_projects_floor_plan(building):
    unit = building.units.first()
    unit.floor_plan = FloorPlanFactory(project=ProjectFactory())
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert "floor_plan" in error.value.message_dict


def test_a_hotspot_cannot_lead_into_another_projects_tour(project):
    here = PanoramaScene.objects.create(project=project, key="living", title="客厅", image="x.jpg")
    there = PanoramaScene.objects.create(project=ProjectFactory(), key="living", title="客厅", image="y.jpg")
    hotspot = PanoramaHotspot(scene=here, target_scene=there, yaw=0, pitch=0)
    with pytest.raises(ValidationError) as error:
        hotspot.full_clean()
    assert "target_scene" in error.value.message_dict


def test_a_membership_cannot_cover_another_organisations_project(manager, outsider):
    foreign = next(iter(outsider.project_ids))
    form = MembershipForm(data={"user": manager.user.pk, "organization": manager.organization.pk,
                                "role": "manager", "projects": [foreign], "is_active": True},
                          instance=manager.membership)
    assert not form.is_valid() and "projects" in form.errors
