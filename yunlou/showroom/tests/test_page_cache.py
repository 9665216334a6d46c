"""The project page's shared rendering (showroom/page_cache.py): one rendering for the crowd, each visitor's
own consultant card and CSRF token in it."""

import re
import uuid

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yunlou.accounts.tests.utils import sms_code_for
from yunlou.crm.models import Consultation
from yunlou.showroom.middleware import VISITOR_COOKIE
from yunlou.showroom.services import share_code_for

CARD = re.compile(r'data-testid="consultant-card" data-consultant="(\d+)"')


def visitor() -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies[VISITOR_COOKIE] = str(uuid.uuid4())
    return client


def test_visitors_of_different_consultants_share_one_rendering_but_see_their_own_cards(
        showroom, consultant, second_consultant):
    url = f"/p/{showroom.pk}/"
    wang_code = share_code_for(owner=consultant.user, project=showroom).code
    chen_code = share_code_for(owner=second_consultant.user, project=showroom).code
    first, second = visitor(), visitor()
    wang = first.get(f"{url}?s={wang_code}").content.decode()
    with CaptureQueriesContext(connection) as captured:
        chen = second.get(f"{url}?s={chen_code}")
    assert CARD.findall(wang) == [str(consultant.user.pk)]
    assert CARD.findall(chen.content.decode()) == [str(second_consultant.user.pk)]
    # the second visitor's page came from the shared rendering: of the catalogue only the project was read
    tables = {table for q in captured.captured_queries if q["sql"].startswith("SELECT")
              for table in re.findall(r'FROM "(\w+)"', q["sql"])}
    assert tables == {"catalogue_project", "showroom_sharecode", "crm_binding"}
    assert wang_code not in chen.content.decode()  # the page carries nobody else's link


def test_each_visitor_gets_a_working_csrf_token_of_their_own(showroom, consultant):
    url = f"/p/{showroom.pk}/"
    first, second = visitor(), visitor()
    first.get(url)
    page = second.get(url).content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    assert len(tokens) == 1 and "yl-csrf" not in page
    form = {"csrfmiddlewaretoken": tokens.pop(), "name": "李女士", "phone": "13812345678",
            "code": sms_code_for("13812345678"), "question": "", "visit_date": "", "visit_time": ""}
    response = second.post(f"/p/{showroom.pk}/consult/", form, HTTP_HX_REQUEST="true")
    assert response.status_code == 201 and Consultation.objects.get().consultant == consultant.user


def test_a_consultant_is_never_served_the_shared_rendering(client, showroom, consultant, second_consultant):
    url = f"/p/{showroom.pk}/"
    visitor().get(url)  # the shared rendering exists now
    client.force_login(second_consultant.user)
    page = client.get(url).content.decode()
    assert CARD.findall(page) == [str(second_consultant.user.pk)] and 'data-testid="my-share"' in page


def test_a_change_shows_after_a_save_of_the_project_or_when_the_page_is_forgotten(showroom, consultant):
    from yunlou.catalogue.models import ProjectNews
    from yunlou.showroom.page_cache import shared_page_forget

    url = f"/p/{showroom.pk}/"
    assert "新开盘" not in visitor().get(url).content.decode()
    showroom.name = "云栖府·新开盘"
    showroom.save()
    assert "云栖府·新开盘" in visitor().get(url).content.decode()
    from django.utils import timezone

    ProjectNews.objects.create(project=showroom, title="样板间开放", published_at=timezone.now())
    assert "样板间开放" not in visitor().get(url).content.decode()  # within PAGE_SECONDS the rendering stands
    shared_page_forget(f"project:{showroom.pk}")
    assert "样板间开放" in visitor().get(url).content.decode()
