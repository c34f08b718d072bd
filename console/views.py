"""The Management Console. Every view is for staff only (`StaffRequiredMixin`).

Reading guide: list pages are four declarations (queryset, filterset, table,
template) over the one list template `console/object_list.html`; forms come in,
one service or selector is called, a response goes out. Writes are POST only and
CSRF-protected; each one lands in the change log through `console.services`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import urlencode
from django.views.generic import DetailView, FormView, TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.paginators import LazyPaginator

from audit.models import AuthEvent, EventType, SubEventType
from audit.services import record_auth_event
from console import selectors, services
from console.charts import daily_chart
from console.filtersets import (
    AuthEventFilterSet,
    ChangeLogEntryFilterSet,
    PropertyFilterSet,
    RoleFilterSet,
    UserFilterSet,
)
from console.forms import (
    OIDC,
    SAML,
    ConsoleLoginForm,
    PreviewForm,
    PropertyForm,
    RoleForm,
    UserProfileForm,
    UserRolesForm,
)
from console.models import CustomProperty
from console.properties import (
    AUTO_PROVISION_USERS,
    KNOWN_PROPERTIES,
    ROLES_FOR_AUTO_PROVISIONED_USERS,
    canonical_key,
    get_raw,
    get_value,
)
from console.tables import (
    AuthEventTable,
    ChangeLogEntryTable,
    PropertyTable,
    RoleTable,
    UserTable,
)
from identity import oidc as oidc_signin
from identity import saml as saml_signin
from identity.claims import ClaimsError, identity_from_oidc, identity_from_saml
from identity.models import Protocol, Role, User
from identity.presets import GENERIC_OIDC, GENERIC_SAML, oidc_preset, saml_preset
from provisioning.selectors import preview_sign_in

PAGE_SIZE = 50


class StaffRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Send signed-out visitors to the console login; answer 403 to signed-in non-staff."""

    login_url = reverse_lazy("console:login")

    def test_func(self) -> bool:
        return self.request.user.is_staff


class ListPageMixin:
    """Fill the shared list template: a title, an Add link, shortcuts, a partial."""

    title = ""
    add_url_name = ""
    above_list_template = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title,
            add_url=reverse(self.add_url_name) if self.add_url_name else "",
            above_list_template=self.above_list_template,
        )
        return context


# --- sign-in -------------------------------------------------------------------


def _reverse_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _sso_links(next_url: str) -> list[tuple[str, str]]:
    """Return (label, url) of each way to sign in through an IdP, coming back to `next_url`.

    A protocol shows links only when its URLs are installed and an IdP is configured
    for it: a link to a protocol that is off would end on an error page.
    """
    links = []
    saml_login = _reverse_or_none("saml2_login")
    if saml_login:
        for entity_id, name in saml_signin.configured_idps():
            query = urlencode({"idp": entity_id, "next": next_url})
            links.append((f"Sign in with {name}", f"{saml_login}?{query}"))
    oidc_login = _reverse_or_none("oidc_authentication_init")
    provider = oidc_signin.configured_provider() if oidc_login else None
    if provider:
        links.append(
            (f"Sign in with {provider[1]}", f"{oidc_login}?{urlencode({'next': next_url})}")
        )
    return links


class LoginView(auth_views.LoginView):
    """The console's door: single sign-on links, and a password form for break-glass admins."""

    template_name = "console/login.html"
    authentication_form = ConsoleLoginForm
    next_page = reverse_lazy("console:home")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_links"] = _sso_links(self.get_redirect_url() or reverse("console:home"))
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        # A break-glass sign-in is rare and powerful: it belongs in the trail.
        record_auth_event(
            event_type=EventType.LOGIN, sub_event=SubEventType.SUCCESSFUL_LOGIN,
            request=self.request, username=user.username, domain=user.domain, user=user,
            protocol=Protocol.PASSWORD, detail={"via": "console password form"},
        )
        return response


# --- home ----------------------------------------------------------------------


class HomeView(StaffRequiredMixin, TemplateView):
    template_name = "console/home.html"
    extra_context = {"section": "home"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["figures"] = selectors.home_figures()
        days = selectors.daily_sign_ins(days=30)
        context["chart"] = daily_chart(days)
        context["days"] = days
        context["jit"] = get_value(AUTO_PROVISION_USERS) == "true"
        # The log filters by whole days: "since yesterday" covers the last 24 hours.
        since = timezone.localdate() - timedelta(days=1)
        context["refused_url"] = (
            f"{reverse('console:authevent_list')}?"
            f"{urlencode({'event_type': EventType.FAILED_LOGIN, 'since': since.isoformat()})}"
        )
        return context


# --- properties ------------------------------------------------------------------


class PropertyListView(StaffRequiredMixin, ListPageMixin, SingleTableMixin, FilterView):
    queryset = CustomProperty.objects.all()
    filterset_class = PropertyFilterSet
    table_class = PropertyTable
    template_name = "console/object_list.html"
    table_pagination = {"per_page": PAGE_SIZE}
    title = "Custom Properties"
    add_url_name = "console:property_add"
    above_list_template = "console/_jit_panel.html"
    extra_context = {"section": "properties"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Two forms on one page: distinct ids keep each label tied to its own field.
        context["auto_form"] = PropertyForm(
            key=AUTO_PROVISION_USERS, auto_id="auto_%s",
            initial={"value": get_value(AUTO_PROVISION_USERS) == "true"},
        )
        context["roles_form"] = PropertyForm(
            key=ROLES_FOR_AUTO_PROVISIONED_USERS, auto_id="roles_%s",
            initial={"value": get_value(ROLES_FOR_AUTO_PROVISIONED_USERS)},
        )
        context["known"] = [
            (spec, get_raw(spec.key)) for spec in KNOWN_PROPERTIES.values()
        ]
        context["missing_roles"] = selectors.unknown_role_names(
            get_value(ROLES_FOR_AUTO_PROVISIONED_USERS)
        )
        return context


class PropertyFormMixin:
    template_name = "console/form.html"
    form_class = PropertyForm
    success_url = reverse_lazy("console:property_list")
    extra_context = {"section": "properties", "cancel_url": reverse_lazy("console:property_list")}

    def form_valid(self, form):
        key, value = form.cleaned_data["key"], form.cleaned_data["value"]
        try:
            services.set_property(key=key, value=value, actor=self.request.user)
        except ValidationError as exc:
            form.add_error("value", exc)
            return self.form_invalid(form)
        messages.success(self.request, f"{key} is now {value!r}.")
        if key == ROLES_FOR_AUTO_PROVISIONED_USERS:
            missing = selectors.unknown_role_names(value)
            if missing:
                messages.warning(
                    self.request,
                    f"No role is named {', '.join(missing)}: only existing roles are granted, "
                    "so these are skipped until you create them.",
                )
        return super().form_valid(form)


class PropertyCreateView(StaffRequiredMixin, PropertyFormMixin, FormView):
    extra_context = {
        **PropertyFormMixin.extra_context, "title": "Add a property",
    }

    def form_valid(self, form):
        if get_raw(form.cleaned_data["key"]) is not None:
            form.add_error("key", "This property exists already; edit it instead.")
            return self.form_invalid(form)
        return super().form_valid(form)


class PropertyUpdateView(StaffRequiredMixin, PropertyFormMixin, FormView):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        try:
            self.key = canonical_key(kwargs["key"])
        except ValidationError as exc:
            raise Http404("not a property name") from exc
        self.spec = KNOWN_PROPERTIES.get(self.key.lower())
        if self.spec is None and get_raw(self.key) is None:
            raise Http404("no such property")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "key": self.key}

    def get_initial(self):
        value = get_value(self.key)
        if self.key == AUTO_PROVISION_USERS:
            return {"value": value == "true"}
        return {"value": value}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = f"Edit {self.key}"
        if self.key == ROLES_FOR_AUTO_PROVISIONED_USERS:
            context["existing_roles"] = list(Role.objects.values_list("name", flat=True))
        return context


class PropertyDeleteView(StaffRequiredMixin, TemplateView):
    template_name = "console/confirm.html"
    extra_context = {"section": "properties"}

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        try:
            self.key = canonical_key(kwargs["key"])
        except ValidationError as exc:
            raise Http404("not a property name") from exc

    def get(self, request, *args, **kwargs):
        if get_raw(self.key) is None:
            raise Http404("no such property")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        spec = KNOWN_PROPERTIES.get(self.key.lower())
        after = f" It will fall back to its default, {spec.default!r}." if spec else ""
        return super().get_context_data(
            title=f"Delete {self.key}?",
            question=f"Delete the property {self.key}?{after}",
            button="Delete", danger=True, cancel_url=reverse("console:property_list"),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not services.delete_property(key=self.key, actor=request.user):
            raise Http404("no such property")
        messages.success(request, f"{self.key} was deleted.")
        return redirect("console:property_list")


# --- users -----------------------------------------------------------------------


class UserListView(StaffRequiredMixin, ListPageMixin, SingleTableMixin, FilterView):
    queryset = selectors.user_list()
    filterset_class = UserFilterSet
    table_class = UserTable
    template_name = "console/object_list.html"
    # Counting a search repeats its scan of every user; the total is on the home page.
    table_pagination = {"per_page": PAGE_SIZE, "paginator_class": LazyPaginator}
    title = "Users"
    extra_context = {"section": "users"}


class UserDetailView(StaffRequiredMixin, DetailView):
    queryset = User.objects.prefetch_related("roles")
    template_name = "console/user_detail.html"
    context_object_name = "account"  # `user` is the signed-in admin
    extra_context = {"section": "users"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        account = self.object
        context.update(
            provisioning_event=selectors.provisioning_event(user=account),
            recent=selectors.recent_sign_ins(user=account),
            changes=selectors.change_list().filter(
                object_type="user", object_id=str(account.pk)
            )[:10],
            profile_form=UserProfileForm(
                initial={"email": account.email, "full_name": account.full_name}
            ),
            roles_form=UserRolesForm(initial={"roles": list(account.roles.all())}),
        )
        return context


class UserObjectMixin:
    """Load the user named in the URL as `self.account`."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.account = get_object_or_404(User, pk=kwargs["pk"])

    def get_success_url(self) -> str:
        return reverse("console:user_detail", args=[self.account.pk])


class UserUpdateView(StaffRequiredMixin, UserObjectMixin, FormView):
    template_name = "console/form.html"
    form_class = UserProfileForm
    extra_context = {"section": "users"}

    def get_initial(self):
        return {"email": self.account.email, "full_name": self.account.full_name}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"Edit {self.account.principal}", cancel_url=self.get_success_url(), **kwargs
        )

    def form_valid(self, form):
        changed = services.update_user_profile(
            user=self.account, actor=self.request.user, **form.cleaned_data
        )
        if changed:
            messages.success(self.request, f"Saved {', '.join(changed).replace('_', ' ')}.")
        return super().form_valid(form)


class UserRolesView(StaffRequiredMixin, UserObjectMixin, FormView):
    template_name = "console/form.html"
    form_class = UserRolesForm
    extra_context = {"section": "users"}

    def get_initial(self):
        return {"roles": list(self.account.roles.all())}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"Roles of {self.account.principal}", cancel_url=self.get_success_url(),
            **kwargs,
        )

    def form_valid(self, form):
        granted, removed = services.set_user_roles(
            user=self.account, roles=form.cleaned_data["roles"], actor=self.request.user
        )
        if granted:
            messages.success(self.request, f"Granted {', '.join(granted)}.")
        if removed:
            messages.success(self.request, f"Removed {', '.join(removed)}.")
        return super().form_valid(form)


class UserActivationView(StaffRequiredMixin, UserObjectMixin, TemplateView):
    """Confirm, then activate or deactivate an account (`active` set in the URLconf)."""

    template_name = "console/confirm.html"
    extra_context = {"section": "users"}
    active = True

    def get_context_data(self, **kwargs):
        who = self.account.principal
        if self.active:
            question = f"Activate {who}? The next sign-in of this person will be accepted."
        else:
            question = (
                f"Deactivate {who}? Their next sign-in is refused as \"User not enabled\". "
                "Nothing is deleted: roles and history stay, and you can activate them again."
            )
        return super().get_context_data(
            title=f"{'Activate' if self.active else 'Deactivate'} {who}?",
            question=question, button="Activate" if self.active else "Deactivate",
            danger=not self.active, cancel_url=self.get_success_url(), **kwargs,
        )

    def post(self, request, *args, **kwargs):
        try:
            changed = services.set_user_active(
                user=self.account, active=self.active, actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            if changed:
                state = "activated" if self.active else "deactivated"
                messages.success(request, f"{self.account.principal} was {state}.")
        return redirect(self.get_success_url())


# --- roles -----------------------------------------------------------------------


class RoleListView(StaffRequiredMixin, ListPageMixin, SingleTableMixin, FilterView):
    queryset = selectors.role_list()
    filterset_class = RoleFilterSet
    table_class = RoleTable
    template_name = "console/object_list.html"
    table_pagination = {"per_page": PAGE_SIZE}
    title = "Roles"
    add_url_name = "console:role_add"
    extra_context = {"section": "roles"}


class RoleFormMixin:
    template_name = "console/form.html"
    form_class = RoleForm
    success_url = reverse_lazy("console:role_list")
    role: Role | None = None

    def get_context_data(self, **kwargs):
        title = f"Edit role {self.role.name}" if self.role else "Add a role"
        return super().get_context_data(
            title=title, section="roles", cancel_url=reverse("console:role_list"), **kwargs
        )

    def form_valid(self, form):
        try:
            role = services.save_role(role=self.role, actor=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("name", exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Saved role {role.name}.")
        return super().form_valid(form)


class RoleCreateView(StaffRequiredMixin, RoleFormMixin, FormView):
    pass


class RoleUpdateView(StaffRequiredMixin, RoleFormMixin, FormView):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.role = get_object_or_404(Role, pk=kwargs["pk"])

    def get_initial(self):
        return {field: getattr(self.role, field) for field in RoleForm.base_fields}


class RoleDeleteView(StaffRequiredMixin, TemplateView):
    template_name = "console/confirm.html"
    extra_context = {"section": "roles"}

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.role = get_object_or_404(Role, pk=kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"Delete role {self.role.name}?",
            question=f"Delete the role {self.role.name}? Only a role without members can go.",
            button="Delete", danger=True, cancel_url=reverse("console:role_list"), **kwargs,
        )

    def post(self, request, *args, **kwargs):
        try:
            services.delete_role(role=self.role, actor=request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, f"Deleted role {self.role.name}.")
        return redirect("console:role_list")


# --- authentication log ------------------------------------------------------------

CSV_HEADER = [
    "when", "event_type", "sub_event", "username", "domain", "user_id", "idp", "protocol",
    "client_ip", "user_agent", "detail",
]
CSV_CHUNK = 2000


class _Echo:
    """A file-like object whose write() hands the line back (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def _safe_cell(value) -> str:
    # Names come from IdPs and user agents from browsers: a cell starting with =, +,
    # - or @ would run as a formula when an admin opens the export in a spreadsheet.
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for row in rows:
        yield writer.writerow([_safe_cell(cell) for cell in row])


class AuthEventListView(StaffRequiredMixin, ListPageMixin, SingleTableMixin, FilterView):
    """The authentication log; `?format=csv` streams exactly what the filters select.

    Pages come from a lazy paginator that reads one row past the page instead of
    counting the table.
    """

    queryset = selectors.auth_event_list()
    filterset_class = AuthEventFilterSet
    table_class = AuthEventTable
    template_name = "console/object_list.html"
    table_pagination = {"per_page": PAGE_SIZE, "paginator_class": LazyPaginator}
    title = "Authentication log"
    extra_context = {"section": "auth-log"}

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.GET.get("format") == "csv":
            return self.export_csv()
        return super().get(request, *args, **kwargs)

    def export_csv(self) -> HttpResponse:
        filterset = self.get_filterset(self.get_filterset_class())
        if filterset.is_bound and not filterset.is_valid():
            return HttpResponse(
                f"Invalid filters: {json.dumps(filterset.errors)}", status=400,
                content_type="text/plain; charset=utf-8",
            )
        rows = selectors.auth_event_rows(filterset.qs, chunk_size=CSV_CHUNK)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="auth-log-{stamp}.csv"'
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        params["format"] = "csv"
        refused = self.request.GET.get("event_type") == EventType.FAILED_LOGIN
        base = reverse("console:authevent_list")
        context.update(
            csv_url=f"?{params.urlencode()}",
            shortcuts=[
                ("All events", base, not self.request.GET),
                ("Refused sign-ins", f"{base}?event_type={EventType.FAILED_LOGIN}", refused),
                (
                    "Auto-provisioned users",
                    f"{base}?sub_event={SubEventType.AUTO_PROVISIONED}",
                    self.request.GET.get("sub_event") == SubEventType.AUTO_PROVISIONED,
                ),
            ],
        )
        return context


class AuthEventDetailView(StaffRequiredMixin, DetailView):
    queryset = AuthEvent.objects.select_related("user")
    template_name = "console/authevent_detail.html"
    context_object_name = "event"
    extra_context = {"section": "auth-log"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        detail = dict(self.object.detail or {})
        context.update(
            claims_used=detail.pop("claims_used", {}),
            roles_granted=detail.pop("roles_granted", None),
            roles_skipped=detail.pop("roles_skipped", None),
            reason=detail.pop("reason", ""),
            other_detail=json.dumps(detail, indent=2, sort_keys=True) if detail else "",
        )
        return context


class ChangeLogEntryListView(StaffRequiredMixin, ListPageMixin, SingleTableMixin, FilterView):
    queryset = selectors.change_list()
    filterset_class = ChangeLogEntryFilterSet
    table_class = ChangeLogEntryTable
    template_name = "console/object_list.html"
    table_pagination = {"per_page": PAGE_SIZE, "paginator_class": LazyPaginator}
    title = "Change log"
    extra_context = {"section": "changes"}


# --- provisioning preview ------------------------------------------------------------


class PreviewView(StaffRequiredMixin, FormView):
    """Show what a sign-in with pasted claims would do now. Writes nothing."""

    template_name = "console/preview.html"
    form_class = PreviewForm
    extra_context = {"section": "preview"}

    def form_valid(self, form):
        data = form.cleaned_data
        kind, preset_key = data["kind"], (data.get("preset") or "").partition(":")[2]
        try:
            if kind == OIDC:
                identity = identity_from_oidc(
                    claims=data["claims"], idp="preview",
                    preset=oidc_preset(preset_key) if preset_key else GENERIC_OIDC,
                )
            elif kind == SAML:
                identity = identity_from_saml(
                    name_id=data.get("name_id", ""), attributes=data["attributes"], idp="preview",
                    preset=saml_preset(preset_key) if preset_key else GENERIC_SAML,
                )
            else:
                identity = identity_from_saml(
                    attributes={"upn": [data["payload"].strip()]}, idp="preview"
                )
        except ClaimsError as exc:
            return self.render_to_response(
                self.get_context_data(form=form, invalid_reason=str(exc))
            )
        preview = preview_sign_in(identity=identity)
        return self.render_to_response(self.get_context_data(form=form, preview=preview))
