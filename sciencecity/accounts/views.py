from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from sciencecity.i18n import join_list

from .forms import LoginForm
from .oidc import provider_logout_url, provider_name
from .roles import role_label
from .workbench import cards_for


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # With single sign-on, the page offers the provider's button above the password form.
        return super().get_context_data(
            **kwargs, sso_provider=provider_name() if settings.OIDC_ENABLED else None
        )


class LogoutView(auth_views.LogoutView):
    """Django's logout; a user who came through the identity provider leaves the provider's session too.

    The provider's end_session page is reached from a page of ours (a refresh and a link), not by redirecting
    the logout form: the Content-Security-Policy's form-action allows this site only.
    """

    def post(self, request, *args, **kwargs):
        end_session = provider_logout_url(request)  # before the session is flushed
        response = super().post(request, *args, **kwargs)
        if end_session is None:
            return response
        return render(
            request, "registration/provider_logout.html", {"url": end_session, "provider": provider_name()}
        )


@login_required
def home(request):
    """The signed-in landing page (工作台): who you are and where your work is, with what waits there."""
    user = request.user
    return render(
        request,
        "accounts/home.html",
        {
            "roles": join_list(sorted(role_label(code) for code in user.role_codes())),
            "areas": cards_for(user),
        },
    )
