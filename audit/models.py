from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One audited action: who, what, when, from where, with what outcome.

    Placeholder shape; the tamper-evident chain is added by issue #6.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", "success"
        DENIED = "denied", "denied"
        FAILED = "failed", "failed"

    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.action} #{self.pk}"
