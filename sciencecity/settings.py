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
    "sciencecity.demo",
    "sciencecity.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sciencecity.audit.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the outcome of authentication views.
    "axes.middleware.AxesMiddleware",
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

# SQLite file by default (zero set-up); PostgreSQL in production and CI via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
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
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Failed logins are in the axes tables and the admin; one log line per attempt is noise.
    "loggers": {"axes": {"level": "WARNING"}},
}

SITE_NAME = _("科学城项目服务平台")
