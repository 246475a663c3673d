from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.models import AuditEvent


def record(**kwargs: Any) -> AuditEvent:
    """audit.record(action=..., actor=..., request=..., target=..., outcome=..., details=...).

    The one call every audited action makes, where the action happens. Imported lazily so
    that `import audit` works before the app registry is ready.
    """
    from audit.services import record as _record

    return _record(**kwargs)
