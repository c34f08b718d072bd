"""Settings for the Work Portal, read from the environment only (django-environ).

Every variable is listed in the README and in `.env.example`. Secrets have no
production default: a missing one stops start-up with a message naming it.
Runtime switches that admins change (AutoProvisionUsers and friends) are not
settings: they are Custom Properties, read at call time.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# The development key only exists while debugging; production must bring its own.
if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="development-only-key-never-use-in-production")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=true for local development only."
        )

PUBLIC_URL = env.str("PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
_public = urlsplit(PUBLIC_URL)
if _public.scheme not in ("http", "https") or not _public.hostname:
    raise ImproperlyConfigured(f"PUBLIC_URL must be an absolute http(s) URL, got {PUBLIC_URL!r}.")

LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]
# Empty counts as unset, so docker-compose can pass the variable through when it is not given.
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[]) or [*LOOPBACK_HOSTS, _public.hostname]
if DEBUG and any(host not in LOOPBACK_HOSTS and host != "testserver" for host in ALLOWED_HOSTS):
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is on while DJANGO_ALLOWED_HOSTS names non-loopback hosts "
        f"({', '.join(ALLOWED_HOSTS)}). Debug pages leak secrets: turn debug off in production."
    )
CSRF_TRUSTED_ORIGINS = [f"{_public.scheme}://{_public.netloc}"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tables2",
    "django_filters",
    "djangosaml2",
    "mozilla_django_oidc",
    "identity",
    "provisioning",
    "audit",
    "console",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'workportal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent first sign-ins write at once: wait for the lock instead of failing,
    # and take the write lock at BEGIN so a transaction never has to upgrade it.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = [
    # Password sign-in exists for break-glass console admins only (createsuperuser).
    "identity.backends.PasswordBackend",
]
# Users are unique on (lower(username), lower(domain)), a functional constraint the
# check cannot see; the username alone is deliberately not unique.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "/"
# After sign-out, not "/": with one IdP configured "/" sends the browser straight back
# to the IdP, whose own session would sign the person in again at once.
LOGOUT_REDIRECT_URL = "portal:logout"

# Sessions live in the database so that any app server can finish a sign-in
# another one started.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_SECURE = _public.scheme == "https"
CSRF_COOKIE_SECURE = _public.scheme == "https"
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if _public.scheme == "https":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)

# --- OIDC -----------------------------------------------------------------------
# One OpenID Connect provider (Entra ID, AD FS 4, ...), read from its discovery
# document at the first sign-in; without OIDC_OP_DISCOVERY_URL, OIDC is off.
# See docs/oidc.md.
OIDC_OP_DISCOVERY_URL = env.str("OIDC_OP_DISCOVERY_URL", default="")
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
if OIDC_OP_DISCOVERY_URL:
    if not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
        raise ImproperlyConfigured(
            "OIDC_OP_DISCOVERY_URL is set but OIDC_RP_CLIENT_ID or OIDC_RP_CLIENT_SECRET is not: "
            "set both to the client registered with the provider."
        )
    if not DEBUG and urlsplit(OIDC_OP_DISCOVERY_URL).scheme != "https":
        # The development provider serves plain http on loopback; no real one does.
        raise ImproperlyConfigured(
            f"OIDC_OP_DISCOVERY_URL must be an https URL when DJANGO_DEBUG is off, got "
            f"{OIDC_OP_DISCOVERY_URL!r}. The development provider is for DJANGO_DEBUG=true only."
        )
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="")
OIDC_PRESET = env.str("OIDC_PRESET", default="generic")
# Tenant IDs allowed to sign in through a multi-tenant Entra ID endpoint (common/organizations).
OIDC_ALLOWED_TENANTS = env.list("OIDC_ALLOWED_TENANTS", default=[])
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
OIDC_CLOCK_SKEW_SECONDS = env.int("OIDC_CLOCK_SKEW_SECONDS", default=60)
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10.0)
# Fixed by design, not configuration: code flow with state, nonce and PKCE S256; ID
# tokens checked by identity.oidc.check_id_token (the library's RS256 setting only
# satisfies its constructor); tokens are not kept in the session.
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_STORE_ACCESS_TOKEN = False
OIDC_STORE_ID_TOKEN = False
OIDC_AUTHENTICATE_CLASS = "identity.oidc.AuthenticateView"
OIDC_CALLBACK_CLASS = "identity.oidc.CallbackView"
# Signing out of the portal also signs out at the provider when it has an end-session endpoint.
OIDC_OP_LOGOUT_URL_METHOD = "identity.oidc.provider_logout_url"
AUTHENTICATION_BACKENDS.append("identity.oidc.OIDCBackend")

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

DJANGO_TABLES2_TEMPLATE = "django_tables2/semantic.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- SAML ---
# djangosaml2 + pysaml2; identity/saml.py builds the pysaml2 configuration once per
# process from SAML_CONFIG (docs/saml.md). SAML is off while SAML_IDP_METADATA is empty.
SAML_IDP_METADATA = env.list("SAML_IDP_METADATA", default=[])
SAML_SP_KEY_FILE = env.str("SAML_SP_KEY_FILE", default="")
SAML_SP_CERT_FILE = env.str("SAML_SP_CERT_FILE", default="")
if SAML_IDP_METADATA and not (SAML_SP_KEY_FILE and SAML_SP_CERT_FILE):
    if not DEBUG:
        raise ImproperlyConfigured(
            "SAML_IDP_METADATA is set but SAML_SP_KEY_FILE / SAML_SP_CERT_FILE are not. "
            "Give the SP its signing key pair (see docs/saml.md)."
        )
    # Development: a key pair generated once, outside git.
    from devidp.saml import load_or_generate_key_pair

    _sp_pair = load_or_generate_key_pair(
        BASE_DIR / "var" / "saml", common_name="Work Portal SP (development)", stem="sp"
    )
    SAML_SP_KEY_FILE, SAML_SP_CERT_FILE = str(_sp_pair.key_file), str(_sp_pair.cert_file)

# IdP entity ID -> attribute preset (identity/presets.py), e.g.
# SAML_IDP_PRESETS="https://sts.windows.net/<tenant>/=entra,http://adfs.contoso.com/adfs/services/trust=adfs"
SAML_IDP_PRESETS = dict(
    item.strip().rpartition("=")[::2] for item in env.list("SAML_IDP_PRESETS", default=[])
)
from identity.presets import SAML_PRESETS  # noqa: E402 (pure data, no models)

for _entity_id, _preset in SAML_IDP_PRESETS.items():
    if not _entity_id or _preset.lower() not in SAML_PRESETS:
        raise ImproperlyConfigured(
            f"SAML_IDP_PRESETS: {_entity_id or '?'}={_preset} is not entityID=preset with a "
            f"preset among {', '.join(sorted(SAML_PRESETS))}."
        )
SAML_METADATA_REFRESH_SECONDS = env.int("SAML_METADATA_REFRESH_SECONDS", default=3600)
SAML_MAX_RESPONSE_BYTES = 256 * 1024

_SAML_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
_SAML_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML_CONFIG = {
    "entityid": f"{PUBLIC_URL}/saml2/metadata/",
    "xmlsec_binary": env.str("SAML_XMLSEC_BINARY", default="/usr/bin/xmlsec1"),
    "allow_unknown_attributes": True,
    "accepted_time_diff": env.int("SAML_CLOCK_SKEW_SECONDS", default=60),
    "service": {
        "sp": {
            "name": "Work Portal",
            "endpoints": {
                "assertion_consumer_service": [(f"{PUBLIC_URL}/saml2/acs/", _SAML_POST)],
                "single_logout_service": [
                    (f"{PUBLIC_URL}/saml2/ls/", _SAML_REDIRECT),
                    (f"{PUBLIC_URL}/saml2/ls/post/", _SAML_POST),
                ],
            },
            # IdP-initiated sign-in (unsolicited responses) is off unless asked for.
            "allow_unsolicited": env.bool("SAML_ALLOW_IDP_INITIATED", default=False),
            "authn_requests_signed": True,
            "logout_requests_signed": True,
            "want_assertions_signed": True,
            "want_response_signed": False,
            "name_id_format_allow_create": False,
        },
    },
    "metadata": {
        "local": [m for m in SAML_IDP_METADATA if not m.startswith(("http://", "https://"))],
        "remote": [{"url": m} for m in SAML_IDP_METADATA if m.startswith(("http://", "https://"))],
    },
    "key_file": SAML_SP_KEY_FILE,
    "cert_file": SAML_SP_CERT_FILE,
    "encryption_keypairs": [{"key_file": SAML_SP_KEY_FILE, "cert_file": SAML_SP_CERT_FILE}],
    "organization": {"name": "Work Portal", "display_name": "Work Portal", "url": PUBLIC_URL},
}
SAML_CONFIG_LOADER = "identity.saml.config_loader"
SAML_DEFAULT_BINDING = _SAML_REDIRECT
SAML_LOGOUT_REQUEST_PREFERRED_BINDING = SAML_DEFAULT_BINDING
# The NameID is handed to the backend, which reads the UPN with identity/claims.py;
# djangosaml2 itself maps nothing but the identifier, so it never updates a user.
SAML_USE_NAME_ID_AS_USERNAME = True
SAML_ATTRIBUTE_MAPPING = {"__name_id__": ("username",)}
SAML_CREATE_UNKNOWN_USER = False
SAML_ALLOWED_HOSTS = []  # `next` after sign-in: paths on this site only
SAML_CSP_HANDLER = ""
ACS_DEFAULT_REDIRECT_URL = LOGIN_REDIRECT_URL
# The ACS is a cross-site POST from the IdP. Over HTTPS the SAML cookie is
# SameSite=None + Secure; browsers drop SameSite=None without Secure, so plain-http
# development uses Lax, which works while portal and IdP share a site (loopback).
SAML_SESSION_COOKIE_SAMESITE = "None" if _public.scheme == "https" else "Lax"
AUTHENTICATION_BACKENDS += ["identity.saml.SamlBackend"]
# pysaml2 logs every assertion (names, attributes) at INFO: personal data, and slow.
LOGGING["loggers"]["saml2"] = {"level": env.str("SAML_LOG_LEVEL", default="WARNING")}
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1,
    "djangosaml2.middleware.SamlSessionMiddleware",
)

# --- Portal -----------------------------------------------------------------------
# gunicorn serves no files: WhiteNoise serves the collected static files
# (`manage.py collectstatic`) from the app itself, behind any load balancer.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
# Without collectstatic (development, tests) serve straight from the source folders.
WHITENOISE_USE_FINDERS = DEBUG or not STATIC_ROOT.exists()

# --- SAML signature verification ---
# "inprocess" (default): libxmlsec1 in this process, with the rules pysaml2 asks of
# `xmlsec1 --verify` (identity/xmlsig.py, docs/saml-signatures.md). "xmlsec1": run the
# command per signature, pysaml2's own way (a fallback; ~25 ms per signature).
SAML_SIGNATURE_VERIFIER = env.str("SAML_SIGNATURE_VERIFIER", default="inprocess")
if SAML_SIGNATURE_VERIFIER not in ("inprocess", "xmlsec1"):
    raise ImproperlyConfigured(
        "SAML_SIGNATURE_VERIFIER must be 'inprocess' or 'xmlsec1', "
        f"got {SAML_SIGNATURE_VERIFIER!r}."
    )
