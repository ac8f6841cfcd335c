from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from sciencecity.i18n import join_list

from .forms import LoginForm
from .roles import role_label
from .workbench import cards_for


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


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
