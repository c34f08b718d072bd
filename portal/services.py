"""Writes for the Work Portal: work items and signing out.

Claiming and completing are single conditional UPDATEs: when two people press
"Claim" on the same role item at once, the database lets exactly one of them
have it, without a read-then-write window.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from audit.models import AuthEvent, EventType, SubEventType
from audit.services import record_auth_event
from identity.models import Role, User
from portal.models import WorkItem, WorkItemStatus


class WorkItemError(Exception):
    """The work item cannot be claimed or completed by this user; the message says why."""


def create_work_item(
    *,
    title: str,
    description: str = "",
    role: Role | None = None,
    user: User | None = None,
    due_date: datetime.date | None = None,
) -> WorkItem:
    """Create an open work item for exactly one of `role` or `user`.

    Raise ValueError unless exactly one assignee is given.
    """
    if (role is None) == (user is None):
        raise ValueError("A work item is assigned to a role or to a user: give exactly one.")
    item = WorkItem(
        title=title,
        description=description,
        assigned_role=role,
        assigned_user=user,
        due_date=due_date,
    )
    item.full_clean()
    item.save()
    return item


def claim_work_item(*, item_id: int, user: User) -> WorkItem:
    """Take an open item of one of the user's roles (or of the user) into the user's hands.

    Raise WorkItemError when the item is not the user's to take or a colleague was first.
    """
    claimable = Q(assigned_user=user) | Q(assigned_role__in=user.roles.all())
    taken = (
        WorkItem.objects.filter(claimable, pk=item_id, status=WorkItemStatus.OPEN)
        .update(status=WorkItemStatus.CLAIMED, claimed_by=user, claimed_at=timezone.now())
    )
    if not taken:
        raise WorkItemError(_why_not(item_id, user, verb="claim"))
    return WorkItem.objects.get(pk=item_id)


def complete_work_item(*, item_id: int, user: User) -> WorkItem:
    """Mark done an item the user has claimed, or an open item assigned to the user.

    A role's item must be claimed first, so that two colleagues never both do it.
    Raise WorkItemError otherwise.
    """
    completable = Q(status=WorkItemStatus.CLAIMED, claimed_by=user) | Q(
        status=WorkItemStatus.OPEN, assigned_user=user
    )
    done = (
        WorkItem.objects.filter(completable, pk=item_id)
        .update(status=WorkItemStatus.DONE, claimed_by=user, completed_at=timezone.now())
    )
    if not done:
        raise WorkItemError(_why_not(item_id, user, verb="complete"))
    return WorkItem.objects.get(pk=item_id)


def _why_not(item_id: int, user: User, *, verb: str) -> str:
    item = WorkItem.objects.filter(pk=item_id).first()
    if item is None:
        return "That work item no longer exists."
    if item.status == WorkItemStatus.DONE:
        return f"“{item.title}” is already done."
    if item.status == WorkItemStatus.CLAIMED and item.claimed_by_id != user.pk:
        return f"“{item.title}” has already been claimed by {item.claimed_by}."
    if verb == "complete" and item.status == WorkItemStatus.OPEN:
        return f"Claim “{item.title}” before completing it."
    return f"“{item.title}” is not assigned to you or to one of your roles."


def record_sign_out(request: HttpRequest) -> AuthEvent | None:
    """Record Logoff / Logoff for the user signed in on `request`; None when nobody is.

    The protocol is the one the session was opened with; the IdP is the one of the
    user's latest sign-in with that protocol. The session itself is left alone.
    """
    user = request.user
    if not user.is_authenticated:
        return None
    protocol = protocol_of_session(request)
    last_login = (
        AuthEvent.objects.filter(user=user, event_type=EventType.LOGIN, protocol=protocol)
        .only("idp")
        .first()
    )
    return record_auth_event(
        event_type=EventType.LOGOFF,
        sub_event=SubEventType.LOGOFF,
        request=request,
        username=user.username,
        domain=user.domain,
        user=user,
        idp=last_login.idp if last_login else "",
        protocol=protocol,
    )


def sign_out(request: HttpRequest) -> str | None:
    """Record Logoff, end the portal session, and return the IdP's single-logout URL.

    Return None when the IdP offers no single logout (or the session did not come
    from an IdP): the portal session is then simply ended. For SAML the URL is
    djangosaml2's logout view, which ends the session itself on its way to the IdP.
    """
    event = record_sign_out(request)
    protocol = event.protocol if event is not None else ""
    if protocol == "saml2" and saml_single_logout_available(request, idp=event.idp):
        return reverse("saml2_logout")
    idp_logout = oidc_logout_url(request) if protocol == "oidc" else None
    logout(request)
    return idp_logout


def protocol_of_session(request: HttpRequest) -> str:
    """Return saml2, oidc or password: how the current session was signed in."""
    backend = (request.session.get(BACKEND_SESSION_KEY) or "").lower()
    if "saml" in backend:
        return "saml2"
    if "oidc" in backend:
        return "oidc"
    return "password" if backend else ""


def saml_single_logout_available(request: HttpRequest, *, idp: str) -> bool:
    """Say whether `idp`, the SAML IdP of this session, accepts a LogoutRequest from us.

    It does when djangosaml2 kept the subject of the sign-in and the IdP's metadata
    names a SingleLogoutService. Without both, djangosaml2's logout view answers
    "You are not logged in any IdP/AA" instead of signing out.
    """
    saml_session = getattr(request, "saml_session", None)
    if not idp or not saml_session or not saml_session.get("_saml2_subject_id"):
        return False
    from djangosaml2.conf import get_config
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.s_utils import UnknownSystemEntity, UnsupportedBinding

    metadata = get_config(request=request).metadata
    for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
        try:
            if metadata.single_logout_service(idp, binding, "idpsso"):
                return True
        except UnsupportedBinding:  # pysaml2's way of saying "no such endpoint"
            continue
        except UnknownSystemEntity:  # the IdP left the metadata since the sign-in
            return False
    return False


def oidc_logout_url(request: HttpRequest) -> str | None:
    """Return the OIDC provider's end-session URL for this session, if it has one.

    mozilla-django-oidc's convention: `OIDC_OP_LOGOUT_URL_METHOD` names a function of
    the request that returns the URL. It runs before the session ends because it
    reads the ID token kept there.
    """
    method = getattr(settings, "OIDC_OP_LOGOUT_URL_METHOD", "")
    return import_string(method)(request) if method else None
