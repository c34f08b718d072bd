"""URLconfs for the console login's SSO links: with both protocols installed, and with none.

The stand-ins are named like djangosaml2's and mozilla-django-oidc's login URLs.
"""

from django.http import HttpResponse
from django.urls import include, path


def _stand_in(request):
    return HttpResponse("stand-in")


urlpatterns = [
    path("", include("portal.urls")),
    path("console/", include("console.urls")),
    path("saml2/login/", _stand_in, name="saml2_login"),
    path("oidc/authenticate/", _stand_in, name="oidc_authentication_init"),
]
