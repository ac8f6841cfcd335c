"""The Content-Security-Policy on pages, API answers and error pages, and the HTTPS settings that
`check --deploy` asks for in production (the README's production example)."""

import base64
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import path

from sciencecity.security import style_hash_of_error_page

ROOT = Path(__file__).resolve().parents[1]


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/", "/login/", "/verify/", "/api/v1/catalog/bundles/", "/api/v1/nothing-here/"]
)
def test_pages_and_api_answers_carry_a_policy_without_inline_code(client, url):
    policy = policy_of(client.get(url))
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]


def test_the_error_pages_inline_style_is_allowed_by_its_hash():
    """Django renders 500.html without a request (no nonce, no static files): the hash in the policy must be
    that of the style block the browser receives, so a change to the block changes the policy with it."""
    text = (ROOT / "templates" / "500.html").read_text(encoding="utf-8")
    style = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
    assert "{" in style and "{%" not in style and "{{" not in style  # plain CSS, rendered as written
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert style_hash_of_error_page() == f"'sha256-{digest}'"


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [path("broken/", broken)]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_500_page_is_served_with_the_policy_that_allows_its_style(settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    assert style_hash_of_error_page() in policy_of(response)["style-src"]
    assert "<style>" in response.content.decode()


@pytest.mark.django_db
def test_pages_may_not_be_framed(client):
    """Only a material's file may be framed (by the site's own pages): tests/e2e/test_previews.py."""
    response = client.get("/login/")
    assert policy_of(response)["frame-ancestors"] == ["'none'"] and response["X-Frame-Options"] == "DENY"


def deploy_check(**extra) -> str:
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "a-long-random-production-key-" + "x" * 40,
        "ALLOWED_HOSTS": "zone.example.cn",
        "CSRF_TRUSTED_ORIGINS": "https://zone.example.cn",
        **extra,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    run = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    return run.stdout + run.stderr


def test_the_documented_production_settings_pass_the_deploy_check():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    production = readme.split("## Running in production")[1].split("```")[1]
    documented = dict(re.findall(r"\b(SECURE_[A-Z_]+)=(\S+)", production))
    assert {"SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"} <= set(documented)
    found = set(re.findall(r"security\.W\d+", deploy_check(**documented)))
    assert found <= {"security.W021"}, found  # the HSTS preload list is the zone's own decision
    assert {"security.W004", "security.W008"} <= set(re.findall(r"security\.W\d+", deploy_check()))
