def record(**kwargs):
    """audit.record(action=..., actor=..., request=..., target=..., outcome=..., details=...).

    The one call every audited action makes, where the action happens. Imported lazily so
    that `import audit` works before the app registry is ready.
    """
    from audit.services import record as _record

    return _record(**kwargs)
