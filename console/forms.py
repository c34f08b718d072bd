"""Forms of the Management Console. They validate input; services do the writing."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from console.properties import (
    AUTO_PROVISION_USERS,
    KNOWN_PROPERTIES,
    ROLES_FOR_AUTO_PROVISIONED_USERS,
    canonical_key,
    clean_property,
)
from identity.models import Role
from identity.presets import OIDC_PRESETS, SAML_PRESETS


class ConsoleLoginForm(AuthenticationForm):
    """The break-glass password form: accounts made with `createsuperuser` only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Account"
        self.fields["username"].help_text = "user@domain or DOMAIN\\user"
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.error_messages["invalid_login"] = (
            "That account and password do not match a console administrator. "
            "Employees sign in with their organisation instead."
        )


class PropertyForm(forms.Form):
    """Add a property (key and value) or change the value of one (`key` given).

    A known key gets the widget of its type: AutoProvisionUsers is a switch.
    Validation is `console.properties.clean_property`, exactly as the command line.
    """

    key = forms.CharField(max_length=100, label="Name")
    value = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Value", strip=False
    )

    def __init__(self, *args, key: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_key = key
        if key is None:
            return
        self.fields["key"].initial = key
        self.fields["key"].disabled = True
        spec = KNOWN_PROPERTIES.get(key.lower())
        if spec is not None:
            self.fields["value"].help_text = spec.help_text
        if spec is not None and spec.key == AUTO_PROVISION_USERS:
            self.fields["value"] = forms.BooleanField(
                required=False, label="Create accounts at first sign-in",
                help_text=spec.help_text,
            )
        elif spec is not None and spec.key == ROLES_FOR_AUTO_PROVISIONED_USERS:
            self.fields["value"].widget = forms.TextInput(
                attrs={"placeholder": "RoleName1,RoleName2"}
            )

    def clean_key(self) -> str:
        return canonical_key(self.fixed_key or self.cleaned_data["key"])

    def clean(self):
        cleaned = super().clean()
        if "key" not in cleaned:
            return cleaned
        value = cleaned.get("value", "")
        if isinstance(value, bool):
            value = "true" if value else "false"
        try:
            cleaned["key"], cleaned["value"] = clean_property(cleaned["key"], value)
        except ValidationError as exc:
            self.add_error("value", exc)
        return cleaned


class UserProfileForm(forms.Form):
    """The parts of a profile an admin may edit: contact details, never the identity."""

    email = forms.EmailField(required=False, max_length=254)
    full_name = forms.CharField(required=False, max_length=300, label="Full name")


class UserRolesForm(forms.Form):
    roles = forms.ModelMultipleChoiceField(
        queryset=Role.objects.order_by("name"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class RoleForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="The key used in properties, e.g. Approver.")
    display_name = forms.CharField(max_length=200, required=False, label="Display name")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if "," in name:
            raise ValidationError(
                "A role name cannot contain a comma: RolesForAutoProvisionedUsers is a "
                "comma-separated list of names."
            )
        return name


UPN = "upn"
OIDC = "oidc"
SAML = "saml2"


class PreviewForm(forms.Form):
    """What an IdP would send: OIDC claims (JSON), SAML attributes, or a UPN alone."""

    kind = forms.ChoiceField(
        label="What you paste",
        choices=[
            (UPN, "A UPN (user@domain or DOMAIN\\user)"),
            (OIDC, "OpenID Connect claims (JSON object)"),
            (SAML, "SAML attributes (one 'Name = value' per line, or a JSON object)"),
        ],
        initial=UPN,
    )
    preset = forms.ChoiceField(
        label="IdP preset",
        required=False,
        choices=[("", "Generic")]
        + [(f"saml2:{k}", f"SAML: {p.label}") for k, p in SAML_PRESETS.items() if k != "generic"]
        + [(f"oidc:{k}", f"OIDC: {p.label}") for k, p in OIDC_PRESETS.items() if k != "generic"],
    )
    name_id = forms.CharField(
        label="SAML NameID (optional)", required=False, max_length=1024,
        help_text=(
            "Only for SAML attributes; a NameID in the email or unspecified format can "
            "carry the UPN."
        ),
    )
    payload = forms.CharField(
        label="Pasted text", max_length=20000, widget=forms.Textarea(attrs={"rows": 8}),
    )

    def clean(self):
        cleaned = super().clean()
        kind, payload = cleaned.get("kind"), cleaned.get("payload", "")
        preset = cleaned.get("preset") or ""
        if preset and kind in (OIDC, SAML) and not preset.startswith(f"{kind}:"):
            self.add_error("preset", "This preset is for the other protocol.")
        if kind == OIDC and payload:
            cleaned["claims"] = _json_object(self, payload)
        elif kind == SAML and payload:
            cleaned["attributes"] = _saml_attributes(self, payload)
        return cleaned


def _json_object(form: forms.Form, text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        form.add_error("payload", f"This is not valid JSON ({exc.msg}, line {exc.lineno}).")
        return {}
    if not isinstance(value, dict):
        form.add_error("payload", "Paste a JSON object: {\"upn\": \"john.doe@example.com\", ...}.")
        return {}
    return value


def _saml_attributes(form: forms.Form, text: str) -> dict[str, list[str]]:
    """Read `Name = value` lines (a name may repeat) or a JSON object."""
    if text.lstrip().startswith("{"):
        return _json_object(form, text)
    attributes: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            form.add_error("payload", f"Line {number} is not 'Name = value'.")
            return {}
        attributes.setdefault(name.strip(), []).append(value.strip())
    return attributes
