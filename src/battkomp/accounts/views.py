"""Login and logout, invitations, account settings and the password pages."""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse, reverse_lazy, translate_url
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from battkomp.accounts import actions
from battkomp.accounts.access import (
    access_invitation_for_user,
    invitation_scope_for_user,
    invitations_for_user,
    people_for_user,
)
from battkomp.accounts.backends import was_throttled
from battkomp.accounts.forms import AcceptInvitationForm, InviteForm, LoginForm, SettingsForm
from battkomp.accounts.models import Invitation
from battkomp.accounts.tasks import send_password_reset
from battkomp.core.client import client_ip
from battkomp.core.users import Role, UserLike, profile_of

# Where each role starts after logging in.
HOME_FOR_ROLE = {
    Role.RESPONDENT: "survey:my_rounds",
    Role.EDITOR: "offers:mine",
    Role.ANALYST: "organisations:organisations",
    Role.ADMIN: "organisations:organisations",
    Role.HANDLER: "contact:queue",
}


def home_url_for(user: UserLike, language: str | None = None) -> str:
    """The start page for a person's role, in the given language."""
    profile = profile_of(user)
    name = HOME_FOR_ROLE.get(profile.role, "home") if profile else "home"
    with translation.override(language or translation.get_language()):
        try:
            return reverse(name)
        except NoReverseMatch:  # an app whose pages are not there yet
            return reverse("home")


def preferred_language(user: UserLike) -> str:
    profile = profile_of(user)
    lang = profile.language if profile else None
    return lang if lang in actions.LANGUAGE_CODES else settings.LANGUAGE_CODE


def set_language_cookie(response: HttpResponse, language: str) -> HttpResponse:
    """Set the language cookie exactly as django.views.i18n.set_language does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR, or X-Forwarded-For only from a configured trusted proxy (a client could
    # otherwise dodge the per-address limit by writing the header itself).
    return client_ip(request)


def _redirect_after_login(request: HttpRequest, user: UserLike) -> HttpResponse:
    """To ``next`` (if safe) or the role's start page, in the person's preferred language."""
    language = preferred_language(user)
    target = _safe_next(request)
    url = translate_url(target, language) if target else home_url_for(user, language)
    return set_language_cookie(HttpResponseRedirect(url), language)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method != "POST":
        return _redirect_after_login(request, request.user)
    minutes = math.ceil(settings.BATTKOMP_LOGIN_WINDOW_SECONDS / 60)
    throttled = False
    status = 200
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = actions.normalise_username(form.cleaned_data["email"])
        # The backend reserves an attempt atomically before it checks the password, and
        # refuses (PermissionDenied, so authenticate() returns None) once the window is used up.
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is not None:
            login(request, user)
            return _redirect_after_login(request, user)
        throttled = was_throttled(request) or actions.login_throttled(username, _client_ip(request))
        if not throttled:
            form.add_error(
                None,
                _("The e-mail address or the password is wrong."),
            )
        if throttled:
            status = 429
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "next": _safe_next(request) or "",
            "throttled": throttled,
            "minutes": minutes,
        },
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, gettext("You are logged out."))
    return redirect("home")


# --- Invitations --------------------------------------------------------------------------------


@login_required
def invite(request: HttpRequest) -> HttpResponse:
    # ?organisation=<id> preselects one; the form's own field decides what is saved.
    organisation = invitation_scope_for_user(request.user, request.GET.get("organisation"))
    initial: dict[str, Any] = {"language": translation.get_language() or settings.LANGUAGE_CODE}
    if organisation is not None:
        initial["organisation"] = organisation.pk
        initial["role"] = Role.EDITOR if organisation.is_institution else Role.RESPONDENT
    form = InviteForm(request.POST or None, inviter=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation, _link = actions.do_invite(
                request.user,
                data["email"],
                data["role"],
                data.get("organisation"),
                language=data["language"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except OSError:
            form.add_error(
                None, _("The e-mail could not be sent. Nothing was saved; try again later.")
            )
        else:
            messages.success(
                request,
                gettext("An invitation was sent to %(email)s.") % {"email": invitation.email},
            )
            url = reverse("accounts:invitations")
            if invitation.organisation_id:
                url += f"?organisation={invitation.organisation_id}"
            return redirect(url)
    return render(
        request,
        "accounts/invite.html",
        {"form": form, "organisation": organisation, "days": settings.BATTKOMP_INVITATION_DAYS},
    )


@login_required
def invitations(request: HttpRequest) -> HttpResponse:
    """People and invitations, grouped by organisation (the secretariat last)."""
    organisation = invitation_scope_for_user(request.user, request.GET.get("organisation"))
    now = timezone.now()
    groups: OrderedDict[Any, dict[str, Any]] = OrderedDict()

    def group(org: Any) -> dict[str, Any]:
        key = org.pk if org is not None else None
        if key not in groups:
            groups[key] = {"organisation": org, "people": [], "invitations": []}
        return groups[key]

    if organisation is not None:
        group(organisation)
    for profile in people_for_user(request.user, organisation):
        group(profile.organisation)["people"].append(profile)
    for inv in invitations_for_user(request.user, organisation):
        group(inv.organisation)["invitations"].append(
            {"invitation": inv, "state": actions.invitation_state(inv, now)}
        )
    ordered = sorted(
        groups.values(),
        key=lambda g: (
            g["organisation"] is None,
            g["organisation"].name if g["organisation"] else "",
        ),
    )
    return render(
        request,
        "accounts/invitations.html",
        {"groups": ordered, "organisation": organisation},
    )


def _back_to_invitations(invitation: Invitation) -> HttpResponse:
    url = reverse("accounts:invitations")
    if invitation.organisation_id:
        url += f"?organisation={invitation.organisation_id}"
    return redirect(url)


@login_required
@require_POST
def invitation_cancel(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = access_invitation_for_user(request.user, invitation_id)
    try:
        actions.do_cancel_invitation(request.user, invitation)
    except actions.InvitationUnusable:
        messages.error(
            request,
            gettext("Only a pending invitation can be withdrawn; %(email)s's is not.")
            % {"email": invitation.email},
        )
    else:
        messages.success(
            request,
            gettext("The invitation to %(email)s is withdrawn; its link no longer works.")
            % {"email": invitation.email},
        )
    return _back_to_invitations(invitation)


@login_required
@require_POST
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = access_invitation_for_user(request.user, invitation_id)
    try:
        fresh, _link = actions.do_resend_invitation(
            request.user, invitation, language=translation.get_language()
        )
    except actions.InvitationUnusable:
        messages.error(
            request, gettext("%(email)s already has an account.") % {"email": invitation.email}
        )
    except (ValidationError, PermissionError):
        messages.error(
            request,
            gettext("You may not invite %(email)s in this role.") % {"email": invitation.email},
        )
    except OSError:
        messages.error(
            request, gettext("The e-mail could not be sent. Nothing was saved; try again later.")
        )
    else:
        messages.success(
            request,
            gettext("A new invitation was sent to %(email)s; the old link no longer works.")
            % {"email": fresh.email},
        )
    return _back_to_invitations(invitation)


@sensitive_post_parameters("password1", "password2")
@never_cache
def accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = actions.find_invitation(token)
    except Invitation.DoesNotExist:
        raise Http404 from None
    state = actions.invitation_state(invitation)
    if state != "pending":
        return _unusable(request, state)
    initial = {"language": translation.get_language() or settings.LANGUAGE_CODE}
    form = AcceptInvitationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = actions.do_accept_invitation(
                token, name=data["name"], password=data["password1"], language=data["language"]
            )
        except actions.InvitationUnusable as exc:
            return _unusable(request, exc.reason)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            language = preferred_language(user)
            with translation.override(language):
                messages.success(request, gettext("Welcome! Your account is ready."))
            return set_language_cookie(HttpResponseRedirect(home_url_for(user, language)), language)
    return render(
        request,
        "accounts/accept.html",
        {"form": form, "invitation": invitation, "role_label": Role(invitation.role).label},
    )


def _unusable(request: HttpRequest, state: str) -> HttpResponse:
    # 410 Gone: the link existed but will not work again.
    return render(request, "accounts/accept_unusable.html", {"state": state}, status=410)


# --- Settings and passwords ---------------------------------------------------------------------


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    profile = profile_of(user)
    initial = {"name": user.get_full_name(), "language": preferred_language(user)}
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        try:
            actions.do_update_settings(user, name=form.cleaned_data["name"], language=language)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            with translation.override(language):
                messages.success(request, gettext("Your settings are saved."))
                url = reverse("accounts:settings")
            return set_language_cookie(HttpResponseRedirect(url), language)
    return render(
        request,
        "accounts/settings.html",
        {
            "form": form,
            "profile": profile,
            "role_label": Role(profile.role).label if profile else "",
        },
    )


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def get_form_kwargs(self) -> dict[str, Any]:
        # The link in the e-mail uses the configured address, not the request's Host header.
        self.extra_email_context = {"site_url": settings.SITE_URL.rstrip("/")}
        return super().get_form_kwargs()

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if actions.reset_refused_for_address(client_ip(request)):
            form = self.get_form()
            form.add_error(
                None,
                _("Too many requests from your address. Try again in an hour."),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"]
        if actions.do_record_reset_request(email, client_ip(self.request)):
            # The worker looks the address up and sends the link: this request does the same
            # work, and takes the same time, whether or not an account exists.
            send_password_reset.enqueue(email, translation.get_language() or "nb")
        # Over the limit for this address: say the same as always (whether an account exists
        # is never revealed), but send nothing.
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # A new password lifts the throttle on this user name.
        actions.do_clear_failed_logins(form.user.get_username())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:settings")
    success_message = _("Your password is changed.")
