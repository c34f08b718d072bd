"""Root URLs. The paths are part of the product's interface (see DESIGN.md and the README)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("portal.urls")),
    path("console/", include("console.urls")),
    path("saml2/", include("identity.saml_urls")),
    # /oidc/authenticate/ and /oidc/callback/ (views: identity.oidc, via OIDC_*_CLASS).
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("admin/", admin.site.urls),
]
