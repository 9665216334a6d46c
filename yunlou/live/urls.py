from django.urls import path

from yunlou.live import views

app_name = "live"

urlpatterns = [
    path("launches/<int:launch_id>/state", views.launch_state, name="launch_state"),
    # Served by the ASGI event server (yunlou.live.asgi) behind the same host; named here for templates.
    path("launches/<int:launch_id>/events", views.launch_events_unavailable, name="launch_events"),
]
