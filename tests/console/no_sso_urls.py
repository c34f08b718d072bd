"""A URLconf with the portal and the console but no single sign-on installed."""

from django.urls import include, path

urlpatterns = [
    path("", include("portal.urls")),
    path("console/", include("console.urls")),
]
