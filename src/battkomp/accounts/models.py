"""People, their role and organisation, invitations, access logs and login attempts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from battkomp.core.users import Role


class Profile(models.Model):
    """Every account has one: its role and, for respondents and editors, its organisation."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        "actors.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    language = models.CharField(
        _("language"), max_length=2, choices=settings.LANGUAGES, default="nb"
    )

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class Invitation(models.Model):
    """An invitation to join an organisation in a role. Only the token's hash is stored."""

    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        "actors.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]


class AccessLog(models.Model):
    """Every analyst read of a company's confidential answers: who, what, when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_logs"
    )
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    organisation = models.ForeignKey(
        "actors.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]


class ResetRequest(models.Model):
    """Password-reset requests, counted per e-mail address and per client address, so the
    reset form cannot be used to flood someone's mailbox or to probe many addresses."""

    email = models.CharField(max_length=254, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)


class LoginAttempt(models.Model):
    """Failed logins, counted per user name and per address to throttle guessing.

    A row is written *before* the password is checked (it reserves one of the window's attempts)
    and removed again when the login succeeds, so concurrent guesses can never check more
    passwords than the limit allows.
    """

    username = models.CharField(max_length=254, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)


class LoginThrottleKey(models.Model):
    """One row per throttled user name (``user:...``) and client address (``ip:...``): the row
    that concurrent logins for the same key lock, in a fixed order, while they count the recent
    failures and reserve an attempt (see ``actions.reserve_login_attempt``)."""

    key = models.CharField(max_length=300, unique=True)
