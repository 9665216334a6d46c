import pytest
from django.core.cache import cache

from yunlou.accounts import phone_codes
from yunlou.accounts.phone_codes import phone_code_request, phone_code_verify
from yunlou.accounts.sms import ConsoleSmsBackend
from yunlou.core.errors import RateLimited, ValidationFailed

PHONE = "13812345678"


def test_the_code_goes_by_sms_and_is_accepted_once():
    code = phone_code_request(phone="138 1234 5678", purpose="consultation", ip="1.2.3.4")
    message = ConsoleSmsBackend.outbox[-1]
    assert message.phone == PHONE and code in message.text and "5分钟" in message.text
    phone_code_verify(phone=PHONE, purpose="consultation", code=code)
    with pytest.raises(ValidationFailed) as error:
        phone_code_verify(phone=PHONE, purpose="consultation", code=code)
    assert error.value.code == "code_expired"


def test_the_code_is_not_stored_in_clear():
    code = phone_code_request(phone=PHONE, purpose="consultation", ip=None)
    stored = cache.get(phone_codes._keys(PHONE, "consultation")[0])
    assert stored and code not in stored


def test_a_code_is_bound_to_its_purpose():
    code = phone_code_request(phone=PHONE, purpose="consultation", ip=None)
    with pytest.raises(ValidationFailed):
        phone_code_verify(phone=PHONE, purpose="login", code=code)


def test_five_wrong_guesses_burn_the_code():
    code = phone_code_request(phone=PHONE, purpose="consultation", ip=None)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(phone_codes.MAX_ATTEMPTS):
        with pytest.raises(ValidationFailed):
            phone_code_verify(phone=PHONE, purpose="consultation", code=wrong)
    with pytest.raises(ValidationFailed) as error:
        phone_code_verify(phone=PHONE, purpose="consultation", code=code)
    assert error.value.code == "code_attempts"


def test_a_second_code_within_a_minute_is_refused():
    phone_code_request(phone=PHONE, purpose="consultation", ip=None)
    with pytest.raises(RateLimited) as error:
        phone_code_request(phone=PHONE, purpose="consultation", ip=None)
    assert error.value.field == "phone" and error.value.status == 429


def test_ten_codes_a_day_per_phone():
    for _ in range(phone_codes.PER_PHONE_PER_DAY):
        phone_code_request(phone=PHONE, purpose="consultation", ip=None)
        cache.delete(f"sms:cooldown:{phone_codes.blind_index(PHONE)}")  # as if a minute had passed
    with pytest.raises(RateLimited):
        phone_code_request(phone=PHONE, purpose="consultation", ip=None)


def test_twenty_codes_an_hour_per_network():
    for n in range(phone_codes.PER_IP_PER_HOUR):
        phone_code_request(phone=f"1380000{n:04d}", purpose="consultation", ip="9.9.9.9")
    with pytest.raises(RateLimited):
        phone_code_request(phone="13900000000", purpose="consultation", ip="9.9.9.9")


@pytest.mark.parametrize("phone", ["", "12345678901", "abc", "1381234567"])
def test_an_invalid_number_gets_no_code(phone):
    count = len(ConsoleSmsBackend.outbox)
    with pytest.raises(ValidationFailed) as error:
        phone_code_request(phone=phone, purpose="consultation", ip=None)
    assert error.value.field == "phone" and len(ConsoleSmsBackend.outbox) == count


def test_a_network_already_refused_does_not_use_up_a_victims_daily_codes(db):
    from yunlou.accounts.phone_codes import PER_IP_PER_HOUR, PER_PHONE_PER_DAY, phone_code_request
    from yunlou.core.errors import RateLimited

    for n in range(PER_IP_PER_HOUR):
        phone_code_request(phone=f"1390000{n:04d}", purpose="consultation", ip="203.0.113.9")
    victim = "13812345678"
    for _ in range(PER_PHONE_PER_DAY + 5):  # the attacker keeps asking for the victim's number
        with pytest.raises(RateLimited) as refused:
            phone_code_request(phone=victim, purpose="consultation", ip="203.0.113.9")
        assert "网络" in refused.value.message
    # the victim, from their own network, still has every one of today's codes
    phone_code_request(phone=victim, purpose="consultation", ip="198.51.100.7")
