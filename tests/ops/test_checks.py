"""check --deploy warns when the app connects as a superuser or as the tables' owner."""

import pytest

from ops.checks import OWNER_ID, SUPERUSER_ID, check_database_role


@pytest.mark.postgres
@pytest.mark.django_db
def test_connected_as_the_superuser_owner_both_warnings_are_given():
    # The test suite itself connects as CI's superuser, which owns every table.
    ids = {message.id for message in check_database_role()}

    assert ids == {SUPERUSER_ID, OWNER_ID}


@pytest.mark.postgres
def test_connected_as_the_runtime_role_there_is_no_warning(as_runtime_role):
    assert check_database_role() == []


@pytest.mark.django_db
def test_on_sqlite_or_without_a_database_the_check_says_nothing(monkeypatch):
    from ops import checks

    monkeypatch.setattr(checks, "database_role_state", lambda: None)
    assert check_database_role() == []


def test_the_check_runs_with_check_deploy():
    from django.core.checks import registry

    deploy_checks = registry.registry.get_checks(include_deployment_checks=True)
    plain_checks = registry.registry.get_checks(include_deployment_checks=False)
    assert check_database_role in deploy_checks and check_database_role not in plain_checks
