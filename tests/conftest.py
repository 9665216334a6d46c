"""Fixtures the cross-cutting tests share with the app's own: a published project with media (`showroom`)."""

from yunlou.showroom.tests.conftest import showroom  # noqa: F401 — re-exported as a fixture
