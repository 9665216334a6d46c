from yunlou.core.checks import demo_defaults_check


def test_the_demo_defaults_fail_the_deployment_check(settings):
    assert {e.id for e in demo_defaults_check()} == {"yunlou.E001", "yunlou.E002", "yunlou.E003"}


def test_a_deployment_with_its_own_keys_passes(settings):
    settings.SECRET_KEY = "a-real-secret-" + "x" * 40
    settings.FIELD_ENCRYPTION_KEY = "another-real-key"
    settings.SERVE_MEDIA = False
    assert demo_defaults_check() == []
