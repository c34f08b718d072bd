"""The project's URLs plus stand-ins named like djangosaml2's and mozilla-django-oidc's."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def _stand_in(request):
    return HttpResponse("stand-in")


urlpatterns = [
    *project_urlpatterns,
    path("saml2/login/", _stand_in, name="saml2_login"),
    path("oidc/authenticate/", _stand_in, name="oidc_authentication_init"),
]
