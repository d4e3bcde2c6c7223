"""The project's URLs plus one background-poll view, for the session activity tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal.middleware import passive_poll
from portal.urls import urlpatterns as project_urlpatterns


@passive_poll
def poll(request: HttpRequest) -> HttpResponse:
    return HttpResponse("still running")


urlpatterns = [*project_urlpatterns, path("test-poll", poll, name="test-poll")]
