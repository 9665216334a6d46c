from yunlou.core.checks import demo_defaults_check


def test_the_demo_defaults_fail_the_deployment_check(settings):
    assert {e.id for e in demo_defaults_check()} == {"yunlou.E001", "yunlou.E002", "yunlou.E003",
                                                          "yunlou.E004"}


def test_a_deployment_with_its_own_keys_passes(settings):
    settings.SECRET_KEY = "a-real-secret-" + "x" * 40
    settings.FIELD_ENCRYPTION_KEY = "another-real-key"
    settings.SERVE_MEDIA = False
    settings.PUBLIC_BASE_URL = "https://yunqi.example.cn"
    assert demo_defaults_check() == []


def test_share_links_must_point_to_a_public_https_address(settings):
    for address in ("http://yunqi.example.cn", "https://127.0.0.1:8443", "https://localhost", "yunqi.example.cn"):
        settings.PUBLIC_BASE_URL = address
        assert "yunlou.E004" in {e.id for e in demo_defaults_check()}, address
