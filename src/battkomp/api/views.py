"""The token page: a signed-in person makes and revokes their own API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from battkomp.api.access import access_token_for_user, tokens_for_user
from battkomp.api.actions import MAX_NAME_LENGTH, do_create_token, do_revoke_token


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=MAX_NAME_LENGTH,
        help_text=gettext_lazy("What the token is for, e.g. the script or system that uses it."),
    )


@never_cache
@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """List the person's tokens; a POST makes one and shows its key, this once."""
    new_key = None
    new_token = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                new_token, new_key = do_create_token(request.user, form.cleaned_data["name"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form = TokenForm()
    else:
        form = TokenForm()
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": tokens_for_user(request.user),
            "new_key": new_key,
            "new_token": new_token,
        },
    )


@require_POST
@login_required
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = access_token_for_user(request.user, token_id)
    do_revoke_token(token, request.user)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api:tokens")
