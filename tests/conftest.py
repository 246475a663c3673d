import os
import shutil

import pytest
from django.db import connection

# pytest-django's live_server runs the site in a thread while Playwright's sync API runs
# an event loop in the test thread; Django would otherwise refuse ORM calls from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    has_chromium = shutil.which("chromium") or os.path.exists("/usr/bin/chromium")
    skip_pg = pytest.mark.skip(
        reason="needs PostgreSQL: run with DATABASE_URL=postgres://… (CI does, via .ci/run)"
    )
    skip_browser = pytest.mark.skip(
        reason="needs Chromium at /usr/bin/chromium (apt-get install chromium; .ci/run does)"
    )
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "browser" in item.keywords and not has_chromium:
            item.add_marker(skip_browser)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and cached pages live in the cache: every test starts with it empty."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in Japanese: a request to /en/ leaves English active in the thread
    (LocaleMiddleware does not switch back), which a later test would otherwise inherit."""
    from django.utils import translation

    translation.activate("ja")
    yield
    translation.activate("ja")
