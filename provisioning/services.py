"""The Just-in-Time decision, once, for every protocol.

Reading guide: `decide` is DESIGN.md's decision table as a pure function;
`provision_user` does the I/O around it (look up, create with the database's
unique constraint deciding races, grant default roles, write the audit event)
and returns an `Outcome`; `refuse_invalid_response` records a response that
never reached the decision. Backends call these and nothing else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from audit.models import AuthEvent, EventType, SubEventType
from audit.services import record_auth_event
from console.properties import jit_settings
from identity.claims import Identity
from identity.models import Role, User


class Decision(enum.Enum):
    SIGN_IN = (EventType.LOGIN, SubEventType.SUCCESSFUL_LOGIN)
    CREATE = (EventType.LOGIN, SubEventType.AUTO_PROVISIONED)
    REFUSE_NOT_ENABLED = (EventType.FAILED_LOGIN, SubEventType.USER_NOT_ENABLED)
    REFUSE_NOT_FOUND = (EventType.FAILED_LOGIN, SubEventType.USER_NOT_FOUND)

    @property
    def event_type(self) -> EventType:
        return self.value[0]

    @property
    def sub_event(self) -> SubEventType:
        return self.value[1]

    @property
    def signs_in(self) -> bool:
        return self.event_type == EventType.LOGIN


def decide(*, user: User | None, auto_provision: bool) -> Decision:
    """Return what a sign-in by a validated identity leads to.

    An existing user is signed in when active and refused otherwise, whatever
    AutoProvisionUsers says; an unknown one is created only when it is on.
    """
    if user is not None:
        return Decision.SIGN_IN if user.is_active else Decision.REFUSE_NOT_ENABLED
    return Decision.CREATE if auto_provision else Decision.REFUSE_NOT_FOUND


REASONS = {
    Decision.SIGN_IN: "",
    Decision.CREATE: "",
    Decision.REFUSE_NOT_ENABLED: "the account exists but is not enabled",
    Decision.REFUSE_NOT_FOUND: "no account exists and AutoProvisionUsers is off",
}


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    event: AuthEvent
    user: User | None = None
    reason: str = ""
    roles_granted: tuple[str, ...] = field(default=())
    roles_skipped: tuple[str, ...] = field(default=())

    @property
    def signed_in(self) -> bool:
        return self.decision.signs_in


def provision_user(*, identity: Identity, request=None) -> Outcome:
    """Sign in, create, or refuse the person in `identity`, and record one AuthEvent.

    The existing profile is never changed: JIT creates, it does not update. A
    refused identity leaves nothing behind but its event. Returns the outcome;
    `outcome.user` is the user to log in when `outcome.signed_in`.
    """
    user = User.objects.principal(identity.username, identity.domain).first()
    settings = jit_settings() if user is None else None
    decision = decide(user=user, auto_provision=bool(settings and settings.auto_provision))

    if decision is Decision.CREATE:
        created = _create_user(
            identity=identity, role_names=settings.default_roles, request=request
        )
        if created is not None:
            return created
        # Another sign-in of the same person created the account between our lookup
        # and our insert; the unique constraint refused ours. We are now returning.
        user = User.objects.principal(identity.username, identity.domain).get()
        decision = decide(user=user, auto_provision=True)

    event = _record(identity, decision, request=request, user=user if user else None)
    return Outcome(
        decision=decision,
        event=event,
        user=user if decision.signs_in else None,
        reason=REASONS[decision],
    )


def refuse_invalid_response(
    *,
    reason: str,
    request=None,
    idp: str = "",
    protocol: str = "",
    username: str = "",
    domain: str = "",
    detail: dict | None = None,
) -> AuthEvent:
    """Record a sign-in whose response failed validation (Failed Login / Invalid response)."""
    return record_auth_event(
        event_type=EventType.FAILED_LOGIN,
        sub_event=SubEventType.INVALID_RESPONSE,
        request=request,
        username=username,
        domain=domain,
        idp=idp,
        protocol=protocol,
        detail={"reason": reason, **(detail or {})},
    )


def _create_user(*, identity: Identity, role_names: tuple[str, ...], request) -> Outcome | None:
    """Create the account, its default roles and its event in one transaction.

    Return None when the unique constraint says the person already exists.
    """
    roles = list(Role.objects.named(list(role_names))) if role_names else []
    found = {role.name.lower() for role in roles}
    skipped = tuple(name for name in role_names if name.lower() not in found)
    try:
        with transaction.atomic():
            user = User(
                username=identity.username,
                domain=identity.domain,
                email=identity.email,
                full_name=identity.full_name,
                is_active=True,
                auto_provisioned=True,
                provisioned_idp=identity.idp,
                provisioned_protocol=identity.protocol,
            )
            user.set_unusable_password()
            user.save(force_insert=True)
            if roles:
                through = User.roles.through
                through.objects.bulk_create(
                    [through(user_id=user.pk, role_id=role.pk) for role in roles]
                )
            granted = tuple(role.name for role in roles)
            event = _record(
                identity,
                Decision.CREATE,
                request=request,
                user=user,
                extra={"roles_granted": list(granted), "roles_skipped": list(skipped)},
            )
    except IntegrityError:
        return None
    return Outcome(
        decision=Decision.CREATE,
        event=event,
        user=user,
        roles_granted=granted,
        roles_skipped=skipped,
    )


def _record(
    identity: Identity, decision: Decision, *, request, user: User | None, extra: dict | None = None
) -> AuthEvent:
    detail = {"claims_used": dict(identity.claims_used)}
    if REASONS[decision]:
        detail["reason"] = REASONS[decision]
    if decision is Decision.CREATE:
        detail.update(
            {
                "email": identity.email,
                "full_name": identity.full_name,
                "idp": identity.idp,
                "protocol": identity.protocol,
            }
        )
    detail.update(extra or {})
    return record_auth_event(
        event_type=decision.event_type,
        sub_event=decision.sub_event,
        request=request,
        username=identity.username,
        domain=identity.domain,
        user=user,
        idp=identity.idp,
        protocol=identity.protocol,
        detail=detail,
    )
