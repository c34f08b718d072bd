"""Root URLs. The paths are part of the product's interface (see DESIGN.md and the README)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("portal.urls")),
    path("console/", include("console.urls")),
    path("saml2/", include("identity.saml_urls")),
    path("admin/", admin.site.urls),
]
