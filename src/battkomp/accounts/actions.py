"""State changes of accounts. Views, the API, commands and tests call these ``do_*`` functions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from battkomp.accounts.models import (
    AccessLog,
    Invitation,
    LoginAttempt,
    LoginThrottleKey,
    Profile,
    ResetRequest,
)
from battkomp.core.mail import queue_email
from battkomp.core.users import Role, UserLike, account_of, is_analyst, role_of
from battkomp.organisations.models import Organisation, OrganisationKind

# Roles that belong to one organisation, and the kind of organisation each belongs to.
ORGANISATION_ROLES: dict[str, str] = {
    Role.RESPONDENT: OrganisationKind.COMPANY,
    Role.EDITOR: OrganisationKind.EDUCATION,
}
# The secretariat and back office: no organisation, and only an administrator may invite them.
STAFF_ROLES = frozenset({Role.ANALYST, Role.HANDLER, Role.ADMIN})
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


@transaction.atomic
def do_create_user(
    email: str,
    password: str | None,
    role: str,
    organisation: Organisation | None = None,
    *,
    name: str = "",
    language: str = "nb",
) -> User:
    """Create an account with its profile. Respondents and editors need an organisation."""
    if role in {Role.RESPONDENT, Role.EDITOR} and organisation is None:
        msg = f"a {role} needs an organisation"
        raise ValueError(msg)
    user: User = get_user_model().objects.create_user(
        username=email.lower(), email=email.lower(), password=password
    )
    if name:
        first, _, last = name.partition(" ")
        user.first_name, user.last_name = first, last
    if role == Role.ADMIN:
        user.is_staff = True
        user.is_superuser = True
    user.save()
    Profile.objects.create(user=user, role=role, organisation=organisation, language=language)
    return user


# --- Login throttling ---------------------------------------------------------------------------


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()[:254]


def _window_start() -> datetime:
    return timezone.now() - timedelta(seconds=settings.BATTKOMP_LOGIN_WINDOW_SECONDS)


def login_throttled(username: str, ip: str | None) -> bool:
    """Whether a login for this user name or from this address must be refused for now.

    Too many failures within the window for the same user name, *or* from the same address,
    close the door for both: guessing one person's password from many addresses and guessing
    many people's passwords from one address are both stopped.
    """
    limit = settings.BATTKOMP_LOGIN_ATTEMPTS
    recent = LoginAttempt.objects.filter(at__gte=_window_start())
    if recent.filter(username=normalise_username(username)).count() >= limit:
        return True
    return bool(ip) and recent.filter(ip=ip).count() >= limit


def _lock_keys(keys: list[str]) -> None:
    """Lock the throttle rows of ``keys`` (created on first use) in sorted order, so two logins
    that share a key queue one behind the other and never deadlock. On SQLite the immediate
    transaction already holds the database's write lock; on PostgreSQL SELECT ... FOR UPDATE
    holds the rows until the transaction ends."""
    for key in sorted(keys):
        try:
            with transaction.atomic():
                LoginThrottleKey.objects.get_or_create(key=key)
        except IntegrityError:  # another login created it between the look-up and the insert
            pass
    list(LoginThrottleKey.objects.select_for_update().filter(key__in=keys).order_by("key"))


def reserve_login_attempt(username: str, ip: str | None) -> LoginAttempt | None:
    """Reserve one attempt for this user name and address before the password is checked.

    Atomic: the throttle rows of both keys are locked while the recent failures are counted and
    the reservation is written, so N concurrent logins can never check more than the limit's
    worth of passwords. Returns the reservation (a ``LoginAttempt`` that stays as the failure if
    the password is wrong), or ``None`` when the user name or the address is throttled.
    """
    username = normalise_username(username)
    keys = [f"user:{username}"] + ([f"ip:{ip}"] if ip else [])
    with transaction.atomic():
        _lock_keys(keys)
        if login_throttled(username, ip):
            return None
        return do_record_failed_login(username, ip)


def do_record_failed_login(username: str, ip: str | None) -> LoginAttempt:
    # Old failures no longer count; prune them so the table stays small.
    keep_from = min(_window_start(), timezone.now() - timedelta(days=1))
    LoginAttempt.objects.filter(at__lt=keep_from).delete()
    return LoginAttempt.objects.create(username=normalise_username(username), ip=ip or None)


def do_clear_failed_logins(username: str) -> int:
    """Forget a user name's failures (after a successful login or a password reset)."""
    deleted, _by_model = LoginAttempt.objects.filter(username=normalise_username(username)).delete()
    return deleted


def reset_refused_for_address(ip: str | None) -> bool:
    """Whether this client address asked for too many password resets in the last hour."""
    since = timezone.now() - timedelta(hours=1)
    recent = ResetRequest.objects.filter(at__gte=since)
    return bool(ip) and recent.filter(ip=ip).count() >= settings.BATTKOMP_RESET_PER_ADDRESS


def do_record_reset_request(email: str, ip: str | None) -> bool:
    """Record a password-reset request; whether an e-mail may be sent to this address (at most
    ``BATTKOMP_RESET_PER_EMAIL`` per hour, counted before this one)."""
    now = timezone.now()
    ResetRequest.objects.filter(at__lt=now - timedelta(days=1)).delete()
    email = normalise_username(email)
    earlier = ResetRequest.objects.filter(email=email, at__gte=now - timedelta(hours=1)).count()
    ResetRequest.objects.create(email=email, ip=ip or None)
    return earlier < settings.BATTKOMP_RESET_PER_EMAIL


# --- Invitations --------------------------------------------------------------------------------


class InvitationUnusable(Exception):  # noqa: N818 (a state, not a programming error)
    """The invitation exists but can no longer be accepted: ``reason`` is expired, cancelled or
    accepted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_state(invitation: Invitation, now: datetime | None = None) -> str:
    """pending, accepted, cancelled or expired."""
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.cancelled_at is not None:
        return "cancelled"
    if (now or timezone.now()) >= invitation.expires_at:
        return "expired"
    return "pending"


def account_exists(email: str) -> bool:
    email = email.strip()
    return (
        get_user_model().objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists()
    )


def invitable_roles(user: UserLike) -> list[str]:
    """The roles this person may invite others to (none unless analyst or administrator)."""
    if role_of(user) == Role.ADMIN or getattr(user, "is_superuser", False):
        return [Role.RESPONDENT, Role.EDITOR, Role.ANALYST, Role.HANDLER, Role.ADMIN]
    if is_analyst(user):
        return [Role.RESPONDENT, Role.EDITOR]
    return []


def validate_invitation(
    invited_by: UserLike | None, email: str, role: str, organisation: Organisation | None
) -> None:
    """Raise ValidationError (keyed by field) when this invitation cannot be made.

    ``invited_by=None`` is the bootstrap command run by whoever operates the server.
    """
    errors: dict[str, list[ValidationError]] = {}
    if role not in Role.values:
        errors.setdefault("role", []).append(ValidationError(_("Unknown role."), code="role"))
    elif invited_by is not None and role not in invitable_roles(invited_by):
        errors.setdefault("role", []).append(
            ValidationError(
                _(
                    "Only an administrator can invite analysts, inquiry handlers and "
                    "administrators."
                ),
                code="role_not_allowed",
            )
        )
    if role in ORGANISATION_ROLES:
        if organisation is None:
            errors.setdefault("organisation", []).append(
                ValidationError(
                    _("Choose the organisation this person belongs to."),
                    code="organisation_required",
                )
            )
        elif organisation.kind != ORGANISATION_ROLES[role]:
            msg = (
                _("Company respondents must belong to a company.")
                if role == Role.RESPONDENT
                else _("Institution editors must belong to an education institution.")
            )
            errors.setdefault("organisation", []).append(
                ValidationError(msg, code="organisation_kind")
            )
    elif role in STAFF_ROLES and organisation is not None:
        errors.setdefault("organisation", []).append(
            ValidationError(
                _(
                    "Analysts, inquiry handlers and administrators do not belong to an "
                    "organisation: leave the organisation empty."
                ),
                code="organisation_not_allowed",
            )
        )
    try:
        validate_email(email)
    except ValidationError:
        errors.setdefault("email", []).append(
            ValidationError(_("Write a valid e-mail address."), code="invalid_email")
        )
    if email and account_exists(email):
        errors.setdefault("email", []).append(
            ValidationError(
                _(
                    "An account with this e-mail address already exists. The person can log in, "
                    "or reset the password from the login page."
                ),
                code="account_exists",
            )
        )
    if errors:
        raise ValidationError(errors)


def invitation_link(token: str, language: str) -> str:
    """The absolute accept link, in the invitee's language (i18n_patterns put it in the path)."""
    with translation.override(language):
        path = reverse("accounts:accept", args=[token])
    return settings.SITE_URL.rstrip("/") + path


@transaction.atomic
def do_invite(
    invited_by: UserLike | None,
    email: str,
    role: str,
    organisation: Organisation | None = None,
    *,
    language: str | None = None,
    send_email: bool = True,
) -> tuple[Invitation, str]:
    """Invite a person by e-mail; return the invitation and the accept link.

    Only the SHA-256 of the token is stored, so the link in the e-mail is the only way in. An
    earlier pending invitation of the same address is superseded (it expires now). Raises
    PermissionError when the inviter is not an analyst or administrator, ValidationError (keyed
    by field) when the invitation is not allowed.
    """
    if invited_by is not None and not invitable_roles(invited_by):
        msg = "only analysts and administrators can invite"
        raise PermissionError(msg)
    email = email.strip().lower()
    validate_invitation(invited_by, email, role, organisation)
    language = language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE
    now = timezone.now()
    Invitation.objects.filter(
        email__iexact=email, accepted_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        organisation=organisation,
        token_hash=hash_token(token),
        invited_by=account_of(invited_by),
        expires_at=now + timedelta(days=settings.BATTKOMP_INVITATION_DAYS),
    )
    link = invitation_link(token, language)
    if send_email:
        _send_invitation_email(invitation, link, language)
    return invitation, link


def _send_invitation_email(invitation: Invitation, link: str, language: str) -> None:
    with translation.override(language):
        context = {
            "invitation": invitation,
            "role_label": Role(invitation.role).label,
            "organisation_name": invitation.organisation.name if invitation.organisation else "",
            "link": link,
            "inviter_name": (
                (invitation.invited_by.get_full_name() or invitation.invited_by.email)
                if invitation.invited_by
                else ""
            ),
        }
        subject = render_to_string("accounts/invitation_email_subject.txt", context)
        body = render_to_string("accounts/invitation_email.txt", context)
    queue_email(subject, body, [invitation.email])


@transaction.atomic
def do_cancel_invitation(user: UserLike, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once. Raises
    InvitationUnusable when it is no longer pending (accepted, expired or already cancelled)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    state = invitation_state(invitation)
    if state != "pending":
        raise InvitationUnusable(state)
    invitation.cancelled_at = timezone.now()
    invitation.cancelled_by = user  # type: ignore[assignment]
    invitation.save(update_fields=["cancelled_at", "cancelled_by"])
    return invitation


def do_resend_invitation(
    user: UserLike, invitation: Invitation, *, language: str | None = None
) -> tuple[Invitation, str]:
    """Send a fresh invitation (new link, new expiry) to the same address, role and
    organisation; the old link stops working. Accepted invitations cannot be resent (raises
    InvitationUnusable); the rules of :func:`do_invite` apply to the person who resends."""
    if invitation.accepted_at is not None or account_exists(invitation.email):
        raise InvitationUnusable("accepted")
    return do_invite(
        user, invitation.email, invitation.role, invitation.organisation, language=language
    )


def find_invitation(token: str) -> Invitation:
    """The invitation behind a token; Invitation.DoesNotExist when there is none."""
    return Invitation.objects.select_related("organisation").get(token_hash=hash_token(token))


def _split_name(name: str) -> tuple[str, str]:
    first, _sep, last = " ".join(name.split()).partition(" ")
    return first[:150], last[:150]


@transaction.atomic
def do_accept_invitation(token: str, *, name: str, password: str, language: str = "nb") -> User:
    """Create the invited person's account; the link works once.

    Raises Invitation.DoesNotExist for an unknown token, InvitationUnusable when it expired or was
    used, ValidationError (keyed by field) when the name or password is not acceptable.
    """
    invitation = Invitation.objects.select_for_update().get(token_hash=hash_token(token))
    state = invitation_state(invitation)
    if state != "pending":
        raise InvitationUnusable(state)
    if account_exists(invitation.email):
        raise InvitationUnusable("accepted")
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": [_("Write your name.")]})
    first, last = _split_name(name)
    User = get_user_model()
    candidate = User(
        username=invitation.email, email=invitation.email, first_name=first, last_name=last
    )
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password1": exc.error_list}) from None
    user = do_create_user(
        invitation.email,
        password,
        invitation.role,
        invitation.organisation,
        name=f"{first} {last}".strip(),
        language=language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE,
    )
    invitation.accepted_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "user"])
    return user


# --- Settings -----------------------------------------------------------------------------------


@transaction.atomic
def do_update_settings(user: User, *, name: str, language: str) -> User:
    """Save a person's name and preferred language."""
    if language not in LANGUAGE_CODES:
        raise ValidationError({"language": [_("Choose a language from the list.")]})
    user.first_name, user.last_name = _split_name(name)
    user.save(update_fields=["first_name", "last_name"])
    profile = getattr(user, "profile", None)
    if profile is not None and profile.language != language:
        profile.language = language
        profile.save(update_fields=["language"])
    return user


def log_access(
    user: UserLike, action: str, obj: object, organisation: Organisation | None, detail: str = ""
) -> None:
    """Record an analyst's read of a company's confidential data."""
    account = account_of(user)
    if account is None or not is_analyst(account):
        return
    AccessLog.objects.create(
        user=account,
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=str(getattr(obj, "pk", "")),
        organisation=organisation,
        detail=detail[:200],
    )
