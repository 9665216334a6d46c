import os
import shutil
from decimal import Decimal

import pytest

# pytest-django's live_server runs beside sync Playwright in the same thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Uploaded and generated files go to a per-test directory, never into the demo's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True, scope="session")
def _tasks_run_inline():
    """Background tasks (renditions, expiry sweeps) run where they are sent, even when REDIS_URL is set (CI's
    PostgreSQL run) and no Celery worker listens: the tests check what the tasks do, not the broker."""
    from yunlou.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    from yunlou.core.cache import local_copies_clear

    cache.clear()
    local_copies_clear()
    yield
    cache.clear()
    local_copies_clear()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium"),
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }


@pytest.fixture(scope="session")
def artifacts_dir():
    path = os.path.join(os.path.dirname(__file__), "artifacts")
    os.makedirs(path, exist_ok=True)
    return path


# --- the domain every app's tests share: one developer's project, its staff, and an outsider ---

@pytest.fixture
def project(db):
    from yunlou.accounts.tests.factories import OrganizationFactory
    from yunlou.catalogue.tests.factories import ProjectFactory

    return ProjectFactory(organization=OrganizationFactory(name="云栖置业集团"), name="云栖府")


@pytest.fixture
def plans(project):
    from yunlou.catalogue.tests.factories import FloorPlanFactory

    return [
        FloorPlanFactory(project=project, name="A户型", rooms=2, gross_area=Decimal("76"), net_area=Decimal("60")),
        FloorPlanFactory(project=project, name="B户型", rooms=3, gross_area=Decimal("89"), net_area=Decimal("70.5")),
    ]


@pytest.fixture
def building(project, plans):
    from yunlou.catalogue.tests.factories import building_with_units

    return building_with_units(project=project, number="3", floors=4, units_per_floor=2, plans=plans)


def _staff(role, project, **fields):
    from yunlou.accounts.tests.factories import make_staff

    return make_staff(role=role, organization=project.organization, projects=[project], **fields)


@pytest.fixture
def manager(project):
    return _staff("manager", project, display_name="刘经理")


@pytest.fixture
def consultant(project):
    return _staff("consultant", project, display_name="王磊", phone="13900000003")


@pytest.fixture
def second_consultant(project):
    return _staff("consultant", project, display_name="陈晓雯", phone="13900000004")


@pytest.fixture
def outsider(db):
    """A manager of another developer company."""
    from yunlou.accounts.tests.factories import make_staff
    from yunlou.catalogue.tests.factories import ProjectFactory

    other = ProjectFactory(name="别家楼盘")
    return make_staff(role="manager", organization=other.organization, projects=[other])


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests last, after pytest-django has ordered the rest: sync Playwright keeps an event loop running in
    the main thread for the rest of the session, and code that calls asyncio.run() (pyHanko's signing and
    validation, the live-update server's tests) cannot run after it in that thread."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
