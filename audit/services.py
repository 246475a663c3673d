from audit.models import AuditEvent


def record(*, action, actor=None, request=None, target=None, outcome="success", details=None):
    """Write one audit record (placeholder: issue #6 adds the HMAC chain)."""
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_username=getattr(actor, "username", "") or "",
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        outcome=outcome,
        ip=request.META.get("REMOTE_ADDR") if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        details=details or {},
    )
