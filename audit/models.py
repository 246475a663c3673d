"""The audit trail: one append-only, HMAC-chained row per audited action.

Each row carries the MAC of the row before it (`prev_mac`) and its own `mac`, an
HMAC-SHA256 over its content and `prev_mac` (see audit.chain). Editing, removing or
reordering a row breaks the chain at that row, and `manage.py verify_audit_chain` says
where. Rows are written only by audit.services.record(); the model refuses updates and
deletes, and on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE as well.
"""

from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """An attempt to change or remove an audit record."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit records cannot be updated")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("audit records cannot be deleted")

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> NoReturn:
        raise AppendOnlyError("audit records cannot be updated")

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit records are written one at a time by audit.record()")

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit records cannot be updated")


class AuditEvent(models.Model):
    """One audited action: who, what, when, from where, with what outcome."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("success")
        DENIED = "denied", _("denied")
        FAILED = "failed", _("failed")

    # Stored in UTC (USE_TZ); shown in local time.
    at = models.DateTimeField(_("time"), db_index=True, editable=False)
    # A plain id, not a foreign key: deleting a staff user must not touch (SET NULL) the
    # records of what they did, and the username snapshot keeps them readable afterwards.
    actor_id = models.BigIntegerField(_("user id"), null=True, blank=True, editable=False)
    actor_username = models.CharField(
        _("user"), max_length=150, blank=True, db_index=True, editable=False
    )
    action = models.CharField(_("action"), max_length=100, db_index=True, editable=False)
    target_type = models.CharField(_("target type"), max_length=100, blank=True, editable=False)
    target_id = models.CharField(_("target id"), max_length=64, blank=True, editable=False)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, editable=False)
    # Text, not inet: PostgreSQL would rewrite some IPv6 forms, and the MAC covers the
    # exact string. audit.services normalises it before signing.
    ip = models.CharField(_("client IP"), max_length=45, blank=True, editable=False)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True, editable=False)
    details = models.JSONField(_("details"), default=dict, blank=True, editable=False)
    # Which AUDIT_HMAC_KEY made the MAC (a fingerprint, not the key), so that records
    # written before a key rotation can still be verified with the old key.
    key_id = models.CharField(_("key fingerprint"), max_length=16, editable=False)
    prev_mac = models.CharField(
        _("MAC of the previous record"), max_length=64, blank=True, editable=False
    )
    mac = models.CharField(_("MAC"), max_length=64, unique=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        indexes = [models.Index(fields=["action", "at"]), models.Index(fields=["outcome", "at"])]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or self.pk is not None:
            raise AppendOnlyError("audit records cannot be updated")
        if not self.mac:
            raise AppendOnlyError("audit records are written by audit.record(), which signs them")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit records cannot be deleted")

    @property
    def target(self) -> str:
        return f"{self.target_type} #{self.target_id}" if self.target_type else ""
