import io
import re
import uuid

import zxingcpp
from PIL import Image

from yunlou.crm.models import Binding
from yunlou.showroom.middleware import VISITOR_COOKIE, parse_visitor_id
from yunlou.showroom.services import share_code_for


def test_a_visitor_arriving_by_a_share_link_is_bound_and_sees_that_consultant(client, showroom, consultant,
                                                                                second_consultant):
    code = share_code_for(owner=second_consultant.user, project=showroom).code
    response = client.get(f"/p/{showroom.pk}/?s={code}")
    visitor = str(parse_visitor_id(response.cookies[VISITOR_COOKIE].value))
    page = response.content.decode()
    assert "陈晓雯" in page
    # the first view, before the browser has shown it keeps our cookie, binds no one; the page's beacon does
    assert not Binding.objects.exists()
    beacon = re.search(r'<img src="([^"]+)"[^>]*data-testid="visit-beacon"', page)[1]
    assert client.get(beacon)["Content-Type"] == "image/gif"
    binding = Binding.objects.get(project=showroom)
    assert str(binding.visitor_id) == visitor and binding.consultant == second_consultant.user
    assert binding.share_code.code == code
    # every page of the project, without the code, keeps showing the bound consultant
    assert "陈晓雯" in client.get(f"/p/{showroom.pk}/vr/").content.decode()


def test_a_later_link_from_another_consultant_does_not_take_the_visitor(client, showroom, consultant,
                                                                         second_consultant):
    client.get(f"/p/{showroom.pk}/?s={share_code_for(owner=consultant.user, project=showroom).code}")
    client.get(f"/p/{showroom.pk}/seen.gif")  # the first page's beacon binds the visitor
    page = client.get(f"/p/{showroom.pk}/?s={share_code_for(owner=second_consultant.user, project=showroom).code}")
    assert "王磊" in page.content.decode()
    assert Binding.objects.filter(project=showroom).count() == 1


def test_an_unknown_or_foreign_code_binds_nobody(client, showroom, consultant, outsider):
    from yunlou.catalogue.tests.factories import ProjectFactory

    foreign = share_code_for(owner=outsider.user, project=ProjectFactory(organization=outsider.organization)).code
    for code in ("nonsense", foreign, "x" * 500):
        assert client.get(f"/p/{showroom.pk}/?s={code}").status_code == 200
    assert not Binding.objects.exists()


def test_a_code_of_someone_no_longer_a_consultant_binds_nobody(client, showroom, consultant):
    code = share_code_for(owner=consultant.user, project=showroom).code
    consultant.membership.is_active = False
    consultant.membership.save()
    client.get(f"/p/{showroom.pk}/?s={code}")
    assert not Binding.objects.exists()


def test_an_unbound_visitor_keeps_the_consultant_the_rotation_gave_them(client, showroom, consultant,
                                                                        second_consultant):
    first = client.get(f"/p/{showroom.pk}/").content.decode()
    name = "王磊" if "王磊" in first else "陈晓雯"
    for _ in range(3):
        assert name in client.get(f"/p/{showroom.pk}/").content.decode()
    assert not Binding.objects.exists()  # a rotation card is not a binding


def test_the_workbench_gives_each_consultant_their_links_and_qr_codes_at_the_public_address(
        client, showroom, consultant, plans, settings):
    settings.PUBLIC_BASE_URL = "https://yunqi.example.cn"
    client.force_login(consultant.user)
    page = client.get("/m/").content.decode()
    code = share_code_for(owner=consultant.user, project=showroom).code
    assert f"https://yunqi.example.cn/p/{showroom.pk}/?s={code}" in page
    assert f"https://yunqi.example.cn/p/{showroom.pk}/plans/{plans[1].pk}/?s={code}" in page
    assert "http://testserver/p/" not in page  # never the host the consultant's own request used
    qr = client.get(f"/m/qr/{showroom.pk}.png?path=/p/{showroom.pk}/vr/")
    assert qr["Content-Type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.content)))
    assert [code.text for code in decoded] == [f"https://yunqi.example.cn/p/{showroom.pk}/vr/?s={code}"]


def test_qr_codes_only_for_the_consultants_own_projects_pages(client, showroom, consultant, outsider):
    client.force_login(consultant.user)
    assert client.get(f"/m/qr/{showroom.pk}.png?path=https://evil.example/").status_code == 404
    other = outsider.project_ids and next(iter(outsider.project_ids))
    assert client.get(f"/m/qr/{other}.png?path=/p/{other}/").status_code == 404


def test_a_consultant_gets_their_own_link_on_any_showroom_page_and_sees_their_own_card(
        client, showroom, consultant, second_consultant, plans, settings):
    settings.PUBLIC_BASE_URL = "https://yunqi.example.cn"
    client.force_login(second_consultant.user)
    code = share_code_for(owner=second_consultant.user, project=showroom).code
    page = client.get(f"/p/{showroom.pk}/plans/{plans[0].pk}/").content.decode()
    assert f'data-copy="https://yunqi.example.cn/p/{showroom.pk}/plans/{plans[0].pk}/?s={code}"' in page
    # previewing their own project, a consultant sees their own card, whatever the rotation would say
    for _ in range(3):
        page = client.get(f"/p/{showroom.pk}/").content.decode()
        assert "陈晓雯" in page and "王磊" not in page


def test_buyers_see_no_share_bar(client, showroom):
    assert 'data-testid="my-share"' not in client.get(f"/p/{showroom.pk}/").content.decode()


def test_another_developers_admin_gets_no_link_to_our_pages(client, showroom, outsider):
    from yunlou.accounts.tests.factories import make_staff
    from yunlou.showroom.models import ShareCode

    foreign_admin = make_staff(role="admin", organization=outsider.organization)
    client.force_login(foreign_admin.user)
    assert 'data-testid="my-share"' not in client.get(f"/p/{showroom.pk}/").content.decode()
    assert not ShareCode.objects.filter(project=showroom).exists()


def test_managers_get_no_share_links_because_theirs_would_not_bind(client, showroom, manager):
    client.force_login(manager.user)
    assert 'data-testid="my-share"' not in client.get(f"/p/{showroom.pk}/").content.decode()
    assert client.get(f"/m/qr/{showroom.pk}.png?path=/p/{showroom.pk}/").status_code == 404


def test_a_script_fetching_the_link_with_fresh_ids_binds_nobody_and_one_network_binds_a_bounded_number(
        client, showroom, consultant, settings):
    from django.test import Client

    from yunlou.showroom.visit import BINDINGS_PER_IP_PER_HOUR

    url = f"/p/{showroom.pk}/?s={share_code_for(owner=consultant.user, project=showroom).code}"
    for _ in range(50):  # no cookies kept: every request a "new visitor"
        assert "王磊" in Client().get(url).content.decode()
    assert not Binding.objects.exists()
    # made-up ids, as a cookie or as a mini program's header, on the page and through the API
    code = share_code_for(owner=consultant.user, project=showroom).code
    for _ in range(25):
        Client().get(url, HTTP_X_VISITOR_ID=str(uuid.uuid4()))
        Client(HTTP_COOKIE=f"yl_vid={uuid.uuid4()}").get(url)
        Client().get(f"/api/v1/projects/{showroom.pk}/consultant?s={code}", HTTP_X_VISITOR_ID=str(uuid.uuid4()))
    assert not Binding.objects.exists()
    # real browsers, keeping their cookies, from one network: the allowance is the limit
    for _ in range(BINDINGS_PER_IP_PER_HOUR + 10):
        browser = Client()
        browser.get(url)
        browser.get(f"/p/{showroom.pk}/seen.gif")
    assert Binding.objects.count() == BINDINGS_PER_IP_PER_HOUR
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    elsewhere.get(url)
    elsewhere.get(f"/p/{showroom.pk}/seen.gif")
    assert Binding.objects.count() == BINDINGS_PER_IP_PER_HOUR + 1
