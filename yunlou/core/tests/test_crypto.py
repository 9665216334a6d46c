import pytest
from django.db import connection

from yunlou.accounts.models import User
from yunlou.core import crypto


def test_encryption_round_trips_and_is_randomised():
    first, second = crypto.encrypt("13812345678"), crypto.encrypt("13812345678")
    assert first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == "13812345678"


def test_blind_index_is_stable_keyed_and_purpose_bound(settings):
    index = crypto.blind_index("13812345678")
    assert index == crypto.blind_index("13812345678")
    assert index != crypto.blind_index("13812345678", purpose="id_number")
    settings.FIELD_ENCRYPTION_KEY = "another-key"
    assert crypto.blind_index("13812345678") != index


def test_old_key_still_decrypts_after_rotation(settings):
    settings.FIELD_ENCRYPTION_KEY = "old-key"
    token = crypto.encrypt("13812345678")
    settings.FIELD_ENCRYPTION_KEY = "new-key,old-key"
    assert crypto.decrypt(token) == "13812345678"
    settings.FIELD_ENCRYPTION_KEY = "new-key"
    with pytest.raises(ValueError):
        crypto.decrypt(token)


@pytest.mark.django_db
def test_user_phone_is_ciphertext_in_the_database_and_found_by_its_hash():
    user = User.objects.create(username="li", phone="13812345678")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, phone_hash FROM accounts_user WHERE id = %s", [user.pk])
        stored_phone, stored_hash = cursor.fetchone()
    assert "13812345678" not in stored_phone
    assert stored_hash == crypto.blind_index("13812345678")
    assert User.objects.get(phone_hash=crypto.blind_index("13812345678")).phone == "13812345678"
    assert user.masked_phone == "138****5678"


@pytest.mark.django_db
def test_clearing_a_phone_clears_its_hash():
    user = User.objects.create(username="li", phone="13812345678")
    user.phone = ""
    user.save()
    user.refresh_from_db()
    assert user.phone == "" and user.phone_hash is None
