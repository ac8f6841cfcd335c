"""The page where a signed-in user manages their own API tokens (administrators use the admin for others')."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from sciencecity.workflow.transitions import IllegalTransition

from . import services
from .models import ApiToken


class NewTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("用途"), max_length=100, help_text=gettext_lazy("例如:省政务服务平台对接")
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def tokens(request):
    form = NewTokenForm(request.POST or None, auto_id="token_%s")
    secret = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _token, secret = services.create_token(request.user, form.cleaned_data["name"])
            except ValidationError as error:
                form.add_error("name", error.message_dict.get("name", error.messages))
            else:
                form = NewTokenForm(auto_id="token_%s")
        if secret is None:
            status = 400
    rows = ApiToken.objects.for_user(request.user).filter(user=request.user).order_by("-created_at", "-id")
    return render(request, "api/tokens.html", {"form": form, "secret": secret, "tokens": rows}, status=status)


@login_required
@require_POST
def revoke(request, pk):
    try:
        token = services.revoke_token(request.user, pk)
    except IllegalTransition as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("令牌“%(name)s”已吊销,使用它的程序将无法再访问。") % {"name": token.name})
    return redirect("api_tokens")
