"""The project page's shared rendering (showroom/page_cache.py): one rendering for the crowd, each visitor's
own consultant card and CSRF token in it."""

import re
import uuid

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yunlou.accounts.tests.utils import sms_code_for
from yunlou.crm.models import Consultation
from yunlou.showroom.middleware import VISITOR_COOKIE, parse_visitor_id, visitor_token
from yunlou.showroom.services import share_code_for

CARD = re.compile(r'data-testid="consultant-card" data-consultant="(\d+)"')


def visitor() -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies[VISITOR_COOKIE] = visitor_token(uuid.uuid4())
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
    # the second visitor's page came from the shared rendering (and the project from the cache): only the new
    # visitor's binding was looked up
    tables = {table for q in captured.captured_queries if q["sql"].startswith("SELECT")
              for table in re.findall(r'FROM "(\w+)"', q["sql"])}
    assert tables == {"showroom_sharecode", "accounts_user", "crm_binding", "crm_customervisitor"}
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


def test_a_change_shows_within_the_pages_lifetime_or_at_once_when_the_page_is_forgotten(showroom, consultant):
    from django.core.cache import cache
    from django.utils import timezone

    from yunlou.catalogue.models import ProjectNews
    from yunlou.core.cache import local_copies_clear
    from yunlou.showroom.page_cache import PAGE_SECONDS, page_cache_key, project_page_forget
    from yunlou.showroom.selectors import PROJECT_CACHE_SECONDS, project_cache_key

    url = f"/p/{showroom.pk}/"
    assert "新开盘" not in visitor().get(url).content.decode()
    showroom.name = "云栖府·新开盘"
    showroom.save()
    ProjectNews.objects.create(project=showroom, title="样板间开放", published_at=timezone.now())
    page = visitor().get(url).content.decode()
    assert "新开盘" not in page and "样板间开放" not in page  # the rendering stands for its lifetime
    assert PAGE_SECONDS <= 15 and PROJECT_CACHE_SECONDS <= 15
    # what lifetimes running out do: the shared and this worker's copies of project and rendering are gone
    cache.delete_many([project_cache_key(showroom.pk), page_cache_key(f"project:{showroom.pk}", "zh-hans")])
    local_copies_clear()
    page = visitor().get(url).content.decode()
    assert "云栖府·新开盘" in page and "样板间开放" in page
    showroom.name = "云栖府"
    showroom.save()
    project_page_forget(showroom.pk)
    assert "新开盘" not in visitor().get(url).content.decode()


def test_a_returning_visitor_costs_no_query_and_a_reassignment_shows_at_once(
        showroom, consultant, second_consultant, manager):
    from yunlou.accounts.staff import staff_for
    from yunlou.crm.models import Customer
    from yunlou.crm.services import binding_reassign

    url = f"/p/{showroom.pk}/"
    buyer = visitor()
    buyer.get(f"{url}?s={share_code_for(owner=consultant.user, project=showroom).code}")
    code = sms_code_for("13812345678")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', buyer.get(url).content.decode())[1]
    buyer.post(f"/p/{showroom.pk}/consult/", {"csrfmiddlewaretoken": token, "name": "李女士", "phone": "13812345678",
                                              "code": code}, HTTP_HX_REQUEST="true")
    buyer.get(url)
    with CaptureQueriesContext(connection) as captured:
        page = buyer.get(url).content.decode()
    assert CARD.findall(page) == [str(consultant.user.pk)]
    assert captured.captured_queries == []

    binding_reassign(staff=staff_for(manager.user), customer_id=Customer.objects.get().pk,
                     consultant_id=second_consultant.user.pk, reason="顾问离职交接")
    assert CARD.findall(buyer.get(url).content.decode()) == [str(second_consultant.user.pk)]


def test_the_fast_csrf_token_is_djangos_masked_token_fresh_each_time(showroom, consultant):
    from django.middleware.csrf import _unmask_cipher_token

    client = visitor()
    url = f"/p/{showroom.pk}/"
    client.get(url)
    secret = client.cookies["csrftoken"].value
    tokens = [re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(url).content.decode())[1]
              for _ in range(20)]
    assert len(set(tokens)) == 20 and all(len(token) == 64 for token in tokens)
    assert {_unmask_cipher_token(token) for token in tokens} == {secret}


def test_a_returning_visitor_carries_who_holds_them_and_a_forged_note_is_ignored(showroom, consultant,
                                                                                  second_consultant):
    from django.core.cache import cache

    from yunlou.showroom.visit import MEMO_COOKIE

    url = f"/p/{showroom.pk}/"
    memo = MEMO_COOKIE.format(showroom.pk)
    bound = visitor()
    bound.get(f"{url}?s={share_code_for(owner=second_consultant.user, project=showroom).code}")
    assert str(bound.cookies[memo].value).startswith(str(parse_visitor_id(bound.cookies[VISITOR_COOKIE].value)))
    cache.clear()  # the shared answers are gone: the page must rely on the browser's own note
    with CaptureQueriesContext(connection) as captured:
        page = bound.get(url)
    assert CARD.findall(page.content.decode()) == [str(second_consultant.user.pk)]
    assert [q for q in captured.captured_queries if "crm_" in q["sql"]] == []
    assert memo not in page.cookies  # nothing to write again

    stranger = visitor()
    stranger.cookies[memo] = bound.cookies[memo].value  # another browser's note: not for this visitor
    page = stranger.get(url).content.decode()
    assert CARD.findall(page) != [] and stranger.cookies[memo].value != bound.cookies[memo].value
    stranger.cookies[memo] = bound.cookies[memo].value.replace("|", "|9")  # tampered: the signature fails
    assert stranger.get(url).status_code == 200


def test_leaving_a_phone_number_drops_the_browsers_note(showroom, consultant):
    from yunlou.showroom.visit import MEMO_COOKIE

    url = f"/p/{showroom.pk}/"
    memo = MEMO_COOKIE.format(showroom.pk)
    buyer = visitor()
    page = buyer.get(f"{url}?s={share_code_for(owner=consultant.user, project=showroom).code}").content.decode()
    assert buyer.cookies[memo].value
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = buyer.post(f"/p/{showroom.pk}/consult/", {"csrfmiddlewaretoken": token, "name": "李女士",
                                                        "phone": "13812345678", "code": sms_code_for("13812345678")},
                          HTTP_HX_REQUEST="true")
    assert response.status_code == 201 and response.cookies[memo].value == ""  # deleted
    buyer.get(url)
    assert buyer.cookies[memo].value == ""  # a customer's browser is never given one again
