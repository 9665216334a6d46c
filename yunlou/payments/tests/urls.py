"""The project's URLs plus a flaky merchant endpoint for the retry tests."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from yunlou.urls import urlpatterns as project_urlpatterns

# A merchant endpoint that fails until it has been called `FLAKY["fail"]` times: proves the sandbox retries.
FLAKY = {"fail": 0, "calls": 0}


@csrf_exempt
def flaky_notify(request):
    from yunlou.payments.views import wechat_notify

    FLAKY["calls"] += 1
    if FLAKY["calls"] <= FLAKY["fail"]:
        return HttpResponse("busy", status=503)
    return wechat_notify(request)


urlpatterns = [
    path("test-flaky-notify/", flaky_notify),
    *project_urlpatterns,
]
