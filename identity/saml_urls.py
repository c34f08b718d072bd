"""SAML URLs under /saml2/: djangosaml2's, with the portal's login and ACS views."""

from django.urls import path
from djangosaml2 import urls as djangosaml2_urls

from identity import saml

urlpatterns = [
    path("login/", saml.LoginView.as_view(), name="saml2_login"),
    path("acs/", saml.AssertionConsumerServiceView.as_view(), name="saml2_acs"),
    *(p for p in djangosaml2_urls.urlpatterns if p.name not in ("saml2_login", "saml2_acs")),
]
