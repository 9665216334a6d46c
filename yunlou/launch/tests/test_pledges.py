"""认筹: real-name pledges, numbered, one per person and project, never by the developer's staff; imports are
all-or-nothing with each bad row named; refunds free the buyer's place."""

import pytest

from yunlou.core.errors import Conflict, ImportRejected, ValidationFailed
from yunlou.core.id_numbers import check_character
from yunlou.launch.models import Pledge, PledgeSource, PledgeStatus
from yunlou.launch.services.pledges import pledge_create, pledge_import, pledge_paid, pledge_refund, pledge_rows_read

pytestmark = pytest.mark.django_db

VALID_ID = "11010519491231002X"


def _id(serial: int) -> str:
    first = f"31010419850615{serial:03d}"
    return first + check_character(first)


def test_a_pledge_is_numbered_stored_encrypted_and_active_once_paid(project):
    pledge = pledge_create(project_id=project.pk, name="张 伟", phone="138 0013 8000", id_number=VALID_ID.lower(),
                           amount=5_000_000)
    assert (pledge.number, pledge.status) == ("RC00001", PledgeStatus.AWAITING_PAYMENT)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, id_number FROM launch_pledge WHERE id = %s", [pledge.pk])
        stored = cursor.fetchone()
    assert "13800138000" not in stored[0] and VALID_ID not in stored[1]
    assert pledge_paid(pledge_id=pledge.pk).status == PledgeStatus.ACTIVE
    assert Pledge.objects.get().masked_id_number == "110105********002X"
    second = pledge_create(project_id=project.pk, name="李娜", phone="13800138001", id_number=_id(1), amount=1)
    assert second.number == "RC00002"


@pytest.mark.parametrize("field, value, says", [
    ("id_number", "110105194912310021", "last character"),
    ("id_number", "110105194913311234", "birth date"),
    ("phone", "1380013800", "11-digit"),
    ("name", "", "real name"),
    ("amount", 0, "more than 0"),
    ("amount", 10**20, "more than 0"),
])
def test_bad_details_are_refused_naming_the_field_and_nothing_is_stored(project, field, value, says):
    details = {"name": "张伟", "phone": "13800138000", "id_number": VALID_ID, "amount": 5_000_000, field: value}
    with pytest.raises(ValidationFailed) as refused:
        pledge_create(project_id=project.pk, **details)
    assert refused.value.field == field and says in refused.value.message
    assert not Pledge.objects.exists()


def test_the_same_phone_or_id_number_cannot_pledge_twice_until_refunded(project, manager):
    first = pledge_create(project_id=project.pk, name="张伟", phone="13800138000", id_number=VALID_ID, amount=1)
    for phone, id_number in (("13800138000", _id(2)), ("13800138009", VALID_ID)):
        with pytest.raises(Conflict):
            pledge_create(project_id=project.pk, name="张伟", phone=phone, id_number=id_number, amount=1)
    pledge_refund(staff=manager, pledge_id=first.pk)
    again = pledge_create(project_id=project.pk, name="张伟", phone="13800138000", id_number=VALID_ID, amount=1)
    assert again.number == "RC00002"


def test_the_developers_staff_cannot_pledge(project, consultant):
    with pytest.raises(ValidationFailed) as refused:
        pledge_create(project_id=project.pk, name="王磊", phone=consultant.user.phone, id_number=VALID_ID, amount=1)
    assert refused.value.code == "staff_excluded"


def test_an_imported_pledge_list_names_every_bad_row_and_writes_nothing(project, manager, consultant):
    rows = pledge_rows_read([
        (1, ("姓名", "手机号", "身份证号", "认筹金额(元)")),
        (2, ("张伟", "13800138000", VALID_ID, "50,000")),
        (3, ("李娜", "13800138001", "110105194912310021", 50000)),
        (4, ("王芳", "13800138000", _id(4), 50000)),
        (5, ("王磊", consultant.user.phone, _id(5), 50000)),
        (6, ("刘洋", "13800138006", _id(6), "五万")),
    ])
    with pytest.raises(ImportRejected) as refused:
        pledge_import(staff=manager, project_id=project.pk, rows=rows)
    named = {(d["row"], d["column"]) for d in refused.value.details}
    assert named == {(3, "id_number"), (4, "phone"), (5, "phone"), (6, "amount")}
    assert not Pledge.objects.exists()


def test_a_good_pledge_list_is_imported_active_in_row_order(project, manager):
    rows = pledge_rows_read([(1, ("姓名", "手机号", "身份证号", "认筹金额（元）")),
                             (2, ("张伟", "13800138000", VALID_ID, 50000)),
                             (3, ("李娜", "+86 138 0013 8001", _id(3), "20000.50"))])
    pledges = pledge_import(staff=manager, project_id=project.pk, rows=rows)
    assert [(p.number, p.amount, p.status, p.source) for p in pledges] == [
        ("RC00001", 5_000_000, PledgeStatus.ACTIVE, PledgeSource.IMPORTED),
        ("RC00002", 2_000_050, PledgeStatus.ACTIVE, PledgeSource.IMPORTED)]


def test_a_sheet_without_the_columns_is_refused_naming_them():
    with pytest.raises(ImportRejected) as refused:
        pledge_rows_read([(1, ("姓名", "电话"))])
    assert {d["column"] for d in refused.value.details} == {"phone", "id_number", "amount"}
