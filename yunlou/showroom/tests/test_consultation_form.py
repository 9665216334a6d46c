import pytest

from yunlou.accounts.tests.utils import sms_code_for
from yunlou.crm.models import Consultation, Customer


def form(**fields):
    return {"name": "李女士", "phone": "13812345678", "code": "000000", "question": "", "visit_date": "",
            "visit_time": "", **fields}


def test_the_form_files_a_consultation_with_the_sms_code(client, showroom, consultant):
    code = sms_code_for("13812345678")
    response = client.post(f"/p/{showroom.pk}/consult/", form(code=code, question="B户型几楼还有？"),
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 201
    assert "置业顾问王磊将尽快与您联系" in response.content.decode()
    assert Consultation.objects.get().question == "B户型几楼还有？"


def test_the_code_button_sends_a_code_and_shows_it_only_in_the_demo(client, showroom, settings):
    response = client.post(f"/p/{showroom.pk}/code/", {"phone": "13812345678"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "demo-code" not in response.content.decode()
    settings.SMS_CODE_ON_PAGE = True
    response = client.post(f"/p/{showroom.pk}/code/", {"phone": "13812345679"}, HTTP_HX_REQUEST="true")
    assert 'data-testid="demo-code"' in response.content.decode()


def test_asking_for_a_second_code_at_once_is_refused_with_429(client, showroom):
    client.post(f"/p/{showroom.pk}/code/", {"phone": "13812345678"}, HTTP_HX_REQUEST="true")
    response = client.post(f"/p/{showroom.pk}/code/", {"phone": "13812345678"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 429 and "1分钟" in response.content.decode()


def test_an_invalid_phone_gets_no_code(client, showroom):
    response = client.post(f"/p/{showroom.pk}/code/", {"phone": "12345"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "11位" in response.content.decode()


def test_without_javascript_the_code_request_shows_the_form_again_filled_in(client, showroom):
    response = client.post(f"/p/{showroom.pk}/code/", {"phone": "13812345678", "name": "李女士"})
    page = response.content.decode()
    assert response.status_code == 200 and 'value="李女士"' in page and "验证码已通过短信发送" in page


@pytest.mark.parametrize(("fields", "message"), [
    ({"phone": "1234"}, "11位"),
    ({"name": ""}, "必填"),
    ({"code": "12"}, "6位数字"),
    ({"code": "123456"}, "验证码已过期或未获取"),
    ({"question": "问" * 501}, "500"),
    ({"visit_date": "2020-01-01", "visit_time": "10:00"}, "90天"),
    ({"visit_date": "2099-01-01"}, "请选择看房时间"),
    ({"visit_time": "25:00"}, "选择"),
    ({"unit": "999999"}, "没有该房源"),
])
def test_bad_input_is_answered_on_the_form_and_nothing_is_saved(client, showroom, consultant, fields, message):
    response = client.post(f"/p/{showroom.pk}/consult/", form(**fields), HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Customer.objects.exists() and not Consultation.objects.exists()


def test_a_consultation_for_an_unknown_project_is_404(client, db):
    assert client.post("/p/999999/consult/", form()).status_code == 404


def test_get_on_the_post_endpoints_is_405(client, showroom):
    assert client.get(f"/p/{showroom.pk}/consult/").status_code == 405
    assert client.get(f"/p/{showroom.pk}/code/").status_code == 405


@pytest.mark.parametrize("rotation_turns_before", [0, 1])
def test_the_consultant_on_the_card_of_a_visitor_without_a_link_is_the_one_who_gets_the_consultation(
        client, showroom, consultant, second_consultant, rotation_turns_before):
    from yunlou.crm.services import consultant_rotation_next
    from yunlou.showroom.visit import ROTATION_COOKIE

    for _ in range(rotation_turns_before):
        consultant_rotation_next(project=showroom)
    pages = [f"/p/{showroom.pk}/", f"/p/{showroom.pk}/vr/", f"/p/{showroom.pk}/calculator/"]
    first = client.get(pages[0]).content.decode()
    shown = consultant if consultant.user.display_name in first else second_consultant
    other = second_consultant if shown is consultant else consultant
    assert client.cookies[ROTATION_COOKIE.format(showroom.pk)]
    for page in pages:
        html = client.get(page).content.decode()
        assert shown.user.display_name in html and other.user.display_name not in html
    # other visitors move the rotation on meanwhile (an odd number of turns: the rotation alone would now pick
    # the other consultant)
    for _ in range(2):
        consultant_rotation_next(project=showroom)
    response = client.post(f"/p/{showroom.pk}/consult/", form(code=sms_code_for("13812345678")),
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 201
    assert f"置业顾问{shown.user.display_name}将尽快与您联系" in response.content.decode()
    consultation = Consultation.objects.get()
    assert consultation.consultant == shown.user and consultation.customer.owner == shown.user


def test_a_mini_program_without_cookies_keeps_its_rotation_consultant_by_visitor_id(
        client, showroom, consultant, second_consultant):
    import uuid

    from yunlou.showroom.middleware import visitor_token

    visitor = visitor_token(uuid.uuid4())  # as the API handed it out earlier
    headers = {"X-Visitor-Id": visitor}
    card = client.get(f"/api/v1/projects/{showroom.pk}/consultant", headers=headers).json()["consultant"]
    client.cookies.clear()
    for _ in range(3):
        assert client.get(f"/api/v1/projects/{showroom.pk}/consultant", headers=headers).json()["consultant"] == card
        client.cookies.clear()
    body = {"name": "李女士", "phone": "13812345678", "code": sms_code_for("13812345678")}
    response = client.post(f"/api/v1/projects/{showroom.pk}/consultations", body, content_type="application/json",
                           headers=headers)
    assert response.status_code == 201 and response.json()["consultant"] == card["name"]
