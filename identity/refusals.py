"""How a refused sign-in reaches the employee, shared by the SAML and OIDC views.

Django's `authenticate()` only returns a user or None, so a backend leaves the
provisioning outcome on the request (`remember_outcome`) and the library's failure
view reads it back (`outcome_of`) to show the right page. Every refusal page is the
same template with a `kind`; no exception text ever reaches the browser.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from provisioning.services import Decision, Outcome

_ATTRIBUTE = "_provisioning_outcome"

KIND_BY_DECISION = {
    Decision.REFUSE_NOT_FOUND: "not_found",
    Decision.REFUSE_NOT_ENABLED: "not_enabled",
}


def remember_outcome(request: HttpRequest | None, outcome: Outcome) -> None:
    """Keep the provisioning outcome on the request for the failure view."""
    if request is not None:
        setattr(request, _ATTRIBUTE, outcome)


def outcome_of(request: HttpRequest) -> Outcome | None:
    """Return the outcome a backend left on this request, if any."""
    return getattr(request, _ATTRIBUTE, None)


def refusal_response(
    request: HttpRequest, *, kind: str, reference: int | None = None, status: int = 403
) -> HttpResponse:
    """Render the employee-facing refusal page.

    `kind` is not_found, not_enabled or invalid; `reference` is the AuthEvent id an
    administrator can look up in the authentication log.
    """
    return TemplateResponse(
        request,
        "portal/signin_refused.html",
        {"kind": kind, "reference": reference},
        status=status,
    )


def response_for_outcome(request: HttpRequest, outcome: Outcome) -> HttpResponse:
    """Render the page for a refusal decided by provisioning (User not found / not enabled)."""
    return refusal_response(
        request, kind=KIND_BY_DECISION.get(outcome.decision, "invalid"), reference=outcome.event.pk
    )
