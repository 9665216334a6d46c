"""The site's URLs plus one view that fails, for the tests of what an unhandled error leaves behind."""

from django.urls import include, path


def failing_view(request):
    raise RuntimeError("the ledger is on fire")


urlpatterns = [path("test/failing/", failing_view), path("", include("yunlou.urls"))]
handler500 = "yunlou.core.views.server_error"
