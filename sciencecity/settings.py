"""Settings for the Science City Platform.

Every setting that differs between the demo and production comes from an environment variable, with a
default that serves the demo on one machine. The README's configuration table lists each of them; keep the
two in step.
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from sciencecity.env import env_bool, env_int, env_list, env_str
from sciencecity.security import style_hash_of_error_page

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "demo-only-insecure-key-change-me-in-production")
if not DEBUG and SECRET_KEY.startswith("demo-only"):
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "health_check",
    "django_prometheus",
    "sciencecity.apps.BackgroundTasksConfig",  # django_tasks_db, named in Chinese
    "sciencecity.apps.LoginProtectionConfig",  # django-axes, named in Chinese
    "sciencecity.accounts",
    "sciencecity.audit",
    "sciencecity.workdays",
    "sciencecity.workflow",
    "sciencecity.notifications",
    "sciencecity.catalog",
    "sciencecity.enterprises",
    "sciencecity.problems",
    "sciencecity.projects",
    "sciencecity.policies",
    "sciencecity.fund",
    "sciencecity.interactions",
    "sciencecity.partybuilding",
    "sciencecity.approvals",
    "sciencecity.cockpit",
    "sciencecity.ops",
    "sciencecity.demo",
    "sciencecity.api",
]

MIDDLEWARE = [
    # First and last: request counts and latencies for Prometheus (sciencecity.ops.metrics).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sciencecity.audit.middleware.RequestContextMiddleware",
    "sciencecity.ops.logs.RequestLogMiddleware",
    "sciencecity.ops.replicas.ReplicaReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the outcome of authentication views.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "sciencecity.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sciencecity.workdays.context_processors.calendar_warning",
                "sciencecity.notifications.context_processors.unread_notifications",
                "sciencecity.accounts.context_processors.main_menu",
            ],
        },
    },
]

WSGI_APPLICATION = "sciencecity.wsgi.application"

# SQLite file by default (zero set-up); PostgreSQL in production and CI via DATABASE_URL. Connections are
# checked before reuse, so that after a database restart the next request reconnects by itself.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# PostgreSQL streaming replicas for the read-only pages and lists (sciencecity.ops.replicas): `replica_1`, ….
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS", []), start=1):
    DATABASES[f"replica_{_number}"] = dj_database_url.parse(
        _url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
    ) | {"TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["sciencecity.ops.replicas.ReplicaRouter"]
# After a user's write, their reads stay on the primary until a replica has replayed it, for at most this long.
REPLICA_PIN_SECONDS = max(1, env_int("REPLICA_PIN_SECONDS", 300))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and db_worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Reads a user's roles and permissions in one statement for ModelBackend, which authenticates and answers.
    "sciencecity.accounts.backends.AccessBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Throttling of repeated failed logins (django-axes): lock a username+address pair after
# AXES_FAILURE_LIMIT failures for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_VERBOSE = False

# --- Single sign-on through the zone's identity provider (统一身份认证, OpenID Connect) -------------------------
# Off by default; local accounts log in with their password either way. mozilla-django-oidc speaks the
# protocol; sciencecity.accounts.oidc maps the provider's claims to the user (by subject), the department (by
# code), the enterprise (by credit code) and the roles. Endpoints left empty come from the discovery document
# at OIDC_OP_DISCOVERY_URL, read at the first login through the provider (not at start-up).
OIDC_ENABLED = env_bool("OIDC_ENABLED", False)
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "")  # empty: "统一身份认证", in the page's language
OIDC_OP_DISCOVERY_URL = env_str("OIDC_OP_DISCOVERY_URL", "")
OIDC_OP_ISSUER = env_str("OIDC_OP_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_OP_END_SESSION_ENDPOINT = env_str("OIDC_OP_END_SESSION_ENDPOINT", "")
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid profile email phone")
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True)
OIDC_TOKEN_USE_BASIC_AUTH = env_bool("OIDC_TOKEN_USE_BASIC_AUTH", False)
# The claims that carry the user name, the name, the department code, the roles and the credit code.
OIDC_CLAIM_USERNAME = env_str("OIDC_CLAIM_USERNAME", "preferred_username")
OIDC_CLAIM_NAME = env_str("OIDC_CLAIM_NAME", "name")
OIDC_CLAIM_DEPARTMENT = env_str("OIDC_CLAIM_DEPARTMENT", "department")
OIDC_CLAIM_ROLES = env_str("OIDC_CLAIM_ROLES", "roles")
OIDC_CLAIM_CREDIT_CODE = env_str("OIDC_CLAIM_CREDIT_CODE", "credit_code")
# The provider's role names → the platform's role codes ("审批员=department_reviewer,..."); names not listed
# must be role codes themselves. `manage.py check` names a code that is not a role.
OIDC_ROLE_MAP = {
    external.strip(): code.strip()
    for external, _equals, code in (item.partition("=") for item in env_list("OIDC_ROLE_MAP", []))
}
OIDC_TIMEOUT = 10  # seconds for each call to the provider
OIDC_AUTHENTICATE_CLASS = "sciencecity.accounts.oidc.AuthenticateView"
OIDC_CALLBACK_CLASS = "sciencecity.accounts.oidc.CallbackView"
OIDC_STORE_ID_TOKEN = True  # the hint for the provider's end_session endpoint at logout
OIDC_OP_LOGOUT_URL_METHOD = "sciencecity.accounts.oidc.logout_redirect_url"
if OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("sciencecity.accounts.oidc.ProviderBackend")
    # A refused SSO login is no password guess: django-axes neither counts it nor locks the address out.
    AXES_WHITELIST_CALLABLE = "sciencecity.accounts.oidc.is_provider_callback"
# --- end of single sign-on ------------------------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
# Our own input formats where Django's locale ones do not suit a form (sciencecity/formats/).
FORMAT_MODULE_PATH = ["sciencecity.formats"]
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Background work: the queue lives in the same database and is enqueued in the same transaction.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "sciencecity.ops.tasks.TracedDatabaseBackend"),
        "ENQUEUE_ON_COMMIT": True,
    }
}

# The REST API (/api/v1/): sessions for the pages' own scripts, revocable per-user tokens for programs,
# problem-details errors (RFC 9457), cursor pages that never count whole tables.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sciencecity.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "sciencecity.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "sciencecity.api.pagination.CursorPage",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "sciencecity.api.problems.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "1200/minute"),
    },
    "DEFAULT_VERSIONING_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Science City Platform API",
    "DESCRIPTION": "一件事一次办: bundled approvals, projects and enterprises of a science city. "
    "Errors are RFC 9457 problem details; creating requests accept an Idempotency-Key header.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Choice sets that several resources share get one stable name each (else the names collide).
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "sciencecity.approvals.models.Application.Status",
        "TaskStatusEnum": "sciencecity.approvals.models.ReviewTask.Status",
        "TaskEventKindEnum": "sciencecity.approvals.models.TaskEvent.Kind",
        "CertificateStatusEnum": "sciencecity.approvals.models.Certificate.Status",
        "CatalogVersionStatusEnum": "sciencecity.catalog.models.CatalogVersion.Status",
        "FormFieldKindEnum": "sciencecity.catalog.models.FormField.Kind",
        "ProblemStatusEnum": "sciencecity.problems.models.Problem.Status",
        "ProblemSourceEnum": "sciencecity.problems.models.Problem.Source",
        "ProjectWarningLevelEnum": "sciencecity.projects.models.Level",
        "TaskWarningLevelEnum": "sciencecity.approvals.models.ReviewTask.Warning",
        "ProjectPhaseEnum": "sciencecity.projects.models.Project.Phase",
        "InspectionKindEnum": "sciencecity.projects.models.Inspection.Kind",
        "ServiceLogKindEnum": "sciencecity.projects.models.ServiceLog.Kind",
        "ScoringMeasureEnum": "sciencecity.projects.models.ScoringRule.Measure",
        "CampaignRoundStatusEnum": "sciencecity.projects.models.CampaignRound.Status",
        "PolicyVerdictEnum": "sciencecity.policies.models.PolicyMatch.Verdict",
        "FoundVerdictEnum": "sciencecity.policies.api.FOUND_VERDICTS",
        "FundTriggerEnum": "sciencecity.fund.models.Investment.Trigger",
        "PartyOrganizationKindEnum": "sciencecity.partybuilding.models.Organization.Kind",
        "PartyMemberStatusEnum": "sciencecity.partybuilding.models.PartyMember.Status",
        "PartyTeamLinkKindEnum": "sciencecity.partybuilding.models.TeamLink.Kind",
        "PartyTeamRoleEnum": "sciencecity.partybuilding.models.TeamMember.Role",
        "RoleEnum": "sciencecity.projects.models.EscortMember.Role",
        "InteractionKindEnum": "sciencecity.interactions.models.Interaction.Kind",
        "InteractionItemKindEnum": "sciencecity.interactions.models.ListItem.Kind",
        "InteractionFindingKindEnum": "sciencecity.interactions.models.Finding.Kind",
        "PartyOfficerTitleEnum": "sciencecity.partybuilding.models.Officer.Title",
        "PartyActivityKindEnum": "sciencecity.partybuilding.models.Activity.Kind",
        "PartyAttendanceStatusEnum": "sciencecity.partybuilding.models.Attendance.Status",
        "PartyAllianceSideEnum": "sciencecity.partybuilding.models.AllianceMember.Side",
        "PartySchemeKindEnum": "sciencecity.partybuilding.models.EvaluationScheme.Kind",
        "PartyIndicatorSourceEnum": "sciencecity.partybuilding.models.Indicator.Source",
        "RiverSectionLevelEnum": "sciencecity.problems.rivers.models.MonitoringSection.Level",
        "DevolvedPowerStatusEnum": "sciencecity.catalog.powers.models.DevolvedPower.Status",
        "DevolvedPowerKindEnum": "sciencecity.catalog.powers.models.PowerKind",
        "CertificateKindEnum": "sciencecity.approvals.models.Certificate.Kind",
        "ServiceEventKindEnum": "sciencecity.interactions.models.ServiceEvent.Kind",
        "ServiceEventParticipantRoleEnum": "sciencecity.interactions.models.EventParticipant.Role",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sciencecity.api.schema.add_problem_responses",
    ],
}

# The public address of the site, printed in certificates' QR codes (they link to the verification page).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# Citizens may report this many problems an hour from one address without an account (then: log in, or wait).
PROBLEM_ANONYMOUS_REPORTS_PER_HOUR = max(1, env_int("PROBLEM_ANONYMOUS_REPORTS_PER_HOUR", 5))

# Administrators are warned this many days before a year whose official working-day schedule is unknown.
WORKDAYS_WARNING_DAYS = env_int("WORKDAYS_WARNING_DAYS", 60)

# The background worker counts applications by bundle and status for the leaders' overview this often
# (`manage.py refresh_overview --schedule`); the overview counts live when its snapshot is twice as old.
OVERVIEW_REFRESH_MINUTES = max(1, env_int("OVERVIEW_REFRESH_MINUTES", 5))
# An application with a target delivery date (e.g. the land handover day) whose review is not finished is at
# risk once that date is this many working days away or fewer (`approvals.target_dates`).
TARGET_DATE_RISK_WORKING_DAYS = min(30, max(0, env_int("TARGET_DATE_RISK_WORKING_DAYS", 3)))

# Key projects under construction report each month by this day of the month (1–28); their units are
# reminded this many days before it, and warned (with their escort team) the day after it.
PROJECT_REPORT_DAY = min(28, max(1, env_int("PROJECT_REPORT_DAY", 25)))
# An interaction with an enterprise is recorded within this many working days, or it is flagged as late.
INTERACTION_RECORD_WORKING_DAYS = min(30, max(1, env_int("INTERACTION_RECORD_WORKING_DAYS", 3)))
PROJECT_REPORT_REMIND_DAYS = min(20, max(1, env_int("PROJECT_REPORT_REMIND_DAYS", 3)))

# The zone's areas (街道, 镇) as a GeoJSON FeatureCollection in WGS 84 longitude/latitude: maps are drawn from it
# and each problem's location is placed in an area (`sciencecity.problems.geo`, which checks the file at first
# use). The demo's file is a schematic of the Chongqing High-tech Zone; replace it with the real boundaries.
ZONE_AREAS_GEOJSON = Path(
    env_str("ZONE_AREAS_GEOJSON", str(BASE_DIR / "sciencecity" / "problems" / "data" / "zone_areas.geojson"))
)

# Content-Security-Policy (django-csp): scripts, styles, fonts, images and frames from this site only, never
# inline — every page's script and style is a static file. The one exception is the 500 page, which Django
# renders without static files: its inline style is allowed by its hash (`sciencecity.security`).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, style_hash_of_error_page()],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [NONE],  # like X-Frame-Options DENY; a material's preview allows its own site
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}

# Behind HTTPS: redirect plain HTTP and tell browsers to use HTTPS only (HSTS). Off by default so that the demo
# serves plain HTTP on one machine; the README's production example switches them on.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)

# Console logs, as text or one JSON object a line (LOG_FORMAT=json), each with the request id
# (sciencecity.ops.logs); one line per request from the `sciencecity.requests` logger.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "sciencecity.ops.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "sciencecity.ops.logs.JsonLineFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Failed logins are in the axes tables and the admin; one log line per attempt is noise.
        "axes": {"level": "WARNING"},
        # One line per request (gunicorn's access log has no request id): on with JSON logs, or when asked.
        "sciencecity.requests": {
            "level": env_str("REQUEST_LOG_LEVEL", "INFO" if LOG_FORMAT == "json" else "WARNING")
        },
    },
}

# Operations (sciencecity.ops): `/metrics` for Prometheus from this machine, or with this bearer token;
# `/health/` warns when a background task has waited this long or a replica is this far behind.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
HEALTH_TASK_DELAY_MINUTES = max(1, env_int("HEALTH_TASK_DELAY_MINUTES", 10))
HEALTH_REPLICA_LAG_SECONDS = max(1, env_int("HEALTH_REPLICA_LAG_SECONDS", 60))
# Probes and scrapes come over plain HTTP from inside the network: never redirected to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]

SITE_NAME = _("科学城项目服务平台")
