"""The Work Portal: landing, home and inbox, sign-in chooser, sign-out, health.

Views only translate HTTP: the decisions live in `portal.navigation` (where to
send a visitor), `portal.selectors` (the inbox) and `portal.services` (claiming,
completing, signing out).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from portal.navigation import safe_next, sign_in_options, sign_in_url
from portal.selectors import inbox_for
from portal.services import WorkItemError, claim_work_item, complete_work_item, sign_out


class HomeView(TemplateView):
    """The employee's home: profile, roles and inbox.

    Signed out, go straight to the Identity Provider when exactly one is
    configured, or to the chooser otherwise.
    """

    template_name = "portal/home.html"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return super().get(request, *args, **kwargs)
        next_url = safe_next(request, request.GET.get("next"))
        options = sign_in_options()
        if len(options) == 1:
            return redirect(sign_in_url(options[0], next_url))
        login = reverse("portal:login")
        return redirect(login if next_url == "/" else f"{login}?{urlencode({'next': next_url})}")

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            profile=user, roles=list(user.roles.all()), inbox=inbox_for(user), **kwargs
        )


class LoginView(TemplateView):
    """The chooser: one button per configured Identity Provider."""

    template_name = "portal/login.html"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        next_url = safe_next(request, request.GET.get("next"))
        if request.user.is_authenticated:
            return redirect(next_url)
        options = [(option, sign_in_url(option, next_url)) for option in sign_in_options()]
        return self.render_to_response(self.get_context_data(options=options))


class LogoutView(View):
    """Sign out on POST (a link must not be able to sign anyone out); GET asks first."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return TemplateResponse(request, "portal/logout.html")
        return TemplateResponse(request, "portal/signed_out.html")

    def post(self, request: HttpRequest) -> HttpResponse:
        idp_logout = sign_out(request)
        # Not "/": with one IdP it would send the browser straight back to the IdP,
        # whose own session could sign the person in again at once.
        return redirect(idp_logout or reverse("portal:logout"))


class WorkItemActionView(LoginRequiredMixin, View):
    """POST-only base for the inbox buttons; the result is shown as a message on home."""

    action = staticmethod(claim_work_item)
    done_message = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            item = self.action(item_id=pk, user=request.user)
        except WorkItemError as exc:
            messages.warning(request, str(exc))
        else:
            messages.success(request, self.done_message.format(title=item.title))
        return redirect("portal:home")


class WorkItemClaimView(WorkItemActionView):
    action = staticmethod(claim_work_item)
    done_message = "“{title}” is yours now."


class WorkItemCompleteView(WorkItemActionView):
    action = staticmethod(complete_work_item)
    done_message = "“{title}” is done."


def healthz(request: HttpRequest) -> HttpResponse:
    """Answer 200 when the database answers, 503 otherwise (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
