"""Read-only questions about provisioning. Nothing here writes or records anything."""

from __future__ import annotations

from dataclasses import dataclass, field

from console.properties import jit_settings
from identity.claims import Identity
from identity.models import Role, User
from provisioning.services import REASONS, Decision, decide


@dataclass(frozen=True)
class Preview:
    """What a sign-in by `identity` would do now, under the current properties."""

    identity: Identity
    decision: Decision
    user: User | None
    auto_provision: bool
    reason: str = ""
    roles_granted: tuple[str, ...] = field(default=())
    roles_skipped: tuple[str, ...] = field(default=())


def preview_sign_in(*, identity: Identity) -> Preview:
    """Return what `provision_user` would decide for `identity`, without doing it.

    The same lookup and the same `decide` as a real sign-in; no user, role or audit
    event is written. Roles are listed only when an account would be created.
    """
    user = User.objects.principal(identity.username, identity.domain).first()
    settings = jit_settings()
    decision = decide(user=user, auto_provision=settings.auto_provision)
    granted: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    if decision is Decision.CREATE and settings.default_roles:
        found = {
            role.name.lower(): role.name
            for role in Role.objects.named(list(settings.default_roles))
        }
        wanted = settings.default_roles
        granted = tuple(found[name.lower()] for name in wanted if name.lower() in found)
        skipped = tuple(name for name in wanted if name.lower() not in found)
    return Preview(
        identity=identity,
        decision=decision,
        user=user,
        auto_provision=settings.auto_provision,
        reason=REASONS[decision],
        roles_granted=granted,
        roles_skipped=skipped,
    )
