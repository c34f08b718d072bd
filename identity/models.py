"""Users and roles.

A user is known by (username, domain) as the Identity Provider sends them, matched
case-insensitively. Email is contact data only: it never identifies anyone.
"""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class Protocol(models.TextChoices):
    SAML2 = "saml2", "SAML 2.0"
    OIDC = "oidc", "OpenID Connect"
    PASSWORD = "password", "Password"


class RoleQuerySet(models.QuerySet):
    def named(self, names: list[str]) -> "RoleQuerySet":
        """Return the roles whose names are in `names`, compared case-insensitively."""
        lowered = {name.lower() for name in names}
        return self.annotate(name_lower=Lower("name")).filter(name_lower__in=lowered)


class Role(models.Model):
    name = models.CharField(max_length=100, help_text="The key used in properties, e.g. Approver.")
    display_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)

    objects = RoleQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="identity_role_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.name


class UserQuerySet(models.QuerySet):
    def principal(self, username: str, domain: str) -> "UserQuerySet":
        """Return the user known as (username, domain), compared case-insensitively.

        This is the one way a person is looked up; it is served by the unique
        functional index on (lower(username), lower(domain)).
        """
        return self.alias(username_lower=Lower("username"), domain_lower=Lower("domain")).filter(
            username_lower=username.lower(), domain_lower=domain.lower()
        )


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, key: str) -> "User":
        """Return the user named by `user@domain` or `DOMAIN\\user`, case-insensitively.

        Password sign-in (break-glass console admins) goes through here.
        """
        from identity.claims import ClaimsError, split_principal

        try:
            username, domain = split_principal(key)
        except ClaimsError as exc:
            raise self.model.DoesNotExist(str(exc)) from exc
        return self.principal(username, domain).get()

    def create_user(self, username: str, domain: str, email: str = "", password=None, **extra):
        user = self.model(
            username=username, domain=domain, email=self.normalize_email(email), **extra
        )
        user.set_password(password)  # None gives an unusable password: employees have none.
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, domain: str, email: str = "", password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(username, domain, email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    username = models.CharField(max_length=150)
    domain = models.CharField(max_length=255)
    email = models.EmailField(blank=True)
    full_name = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Staff can use the Management Console."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    auto_provisioned = models.BooleanField(
        default=False, help_text="Created by Just-in-Time provisioning at first sign-in."
    )
    provisioned_idp = models.CharField(
        max_length=500, blank=True, help_text="The IdP whose sign-in created the account."
    )
    provisioned_protocol = models.CharField(max_length=10, choices=Protocol.choices, blank=True)
    roles = models.ManyToManyField(Role, related_name="users", blank=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["domain", "email"]

    class Meta:
        ordering = ["domain", "username"]
        constraints = [
            # The database decides who is first when two sign-ins create one person.
            models.UniqueConstraint(
                Lower("username"), Lower("domain"), name="identity_user_username_domain_ci_unique"
            ),
        ]
        indexes = [
            models.Index(Lower("email"), name="identity_user_email_lower_idx"),
            # The console filters users by domain, case-insensitively.
            models.Index(Lower("domain"), name="identity_user_domain_lower_idx"),
            models.Index(fields=["date_joined"], name="identity_user_joined_idx"),
        ]

    def __str__(self) -> str:
        return self.principal

    @property
    def principal(self) -> str:
        return f"{self.username}@{self.domain}"

    def natural_key(self) -> tuple[str]:
        return (self.principal,)

    def get_full_name(self) -> str:
        return self.full_name or self.principal

    def get_short_name(self) -> str:
        return self.username


class ConsumedAssertion(models.Model):
    """A SAML assertion already used to sign in, kept until it expires.

    Every app server shares this table, so a captured response cannot be posted
    again to another server (the unique constraint decides).
    """

    idp = models.CharField(max_length=500)
    assertion_id = models.CharField(max_length=256)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["idp", "assertion_id"], name="identity_consumed_assertion_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assertion_id} from {self.idp}"
