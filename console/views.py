"""The Management Console. Every view is for staff only."""

from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.views.generic import TemplateView


class StaffRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Send signed-out visitors to sign in; answer 403 to signed-in non-staff."""

    def test_func(self) -> bool:
        return self.request.user.is_staff


class HomeView(StaffRequiredMixin, TemplateView):
    template_name = "console/home.html"
