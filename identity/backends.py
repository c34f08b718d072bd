"""Authentication backends: thin adapters from a protocol to the provisioning service.

Reading guide: each backend turns what its library validated into an `Identity`
(`identity.claims`) and hands it to `provisioning.services.provision_user`, which
alone decides. `PasswordBackend` serves break-glass console admins only.
"""

from django.contrib.auth.backends import ModelBackend


class PasswordBackend(ModelBackend):
    """Password sign-in for console admins made with `createsuperuser`.

    Employees have unusable passwords (they sign in through their IdP), so only
    accounts given a password by an operator can pass here.
    """
