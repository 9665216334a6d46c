"""The site serves the live channel's two Django parts: the state URL and the grid's script.

These pass once settings.py lists "yunlou.live" in INSTALLED_APPS and urls.py has
`path("live/", include("yunlou.live.urls"))`."""

from django.contrib.staticfiles import finders
from django.urls import reverse


def test_the_live_urls_are_under_live_launches():
    assert reverse("live:launch_state", args=[7]) == "/live/launches/7/state"
    assert reverse("live:launch_events", args=[7]) == "/live/launches/7/events"


def test_the_grid_script_is_a_static_file_the_site_serves(client, db):
    path = finders.find("live/launch-grid.js")
    assert path is not None
    response = client.get("/static/live/launch-grid.js")
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    assert b"new EventSource(" in b"".join(response.streaming_content)
