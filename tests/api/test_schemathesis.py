"""Schemathesis over every operation of /api/v1/openapi.json, anonymously and with a manager's session.

Each operation gets valid and invalid requests generated from its own document (bounded: MAX_EXAMPLES each,
derandomized, so a run is quick and repeatable); every answer must be no 5xx, a status the document
declares, the declared content type, and a body that matches the declared schema — for errors, the one
`ErrorOut` shape. The application is called in process (WSGI) against the test database pytest-django
prepared, with a small project in it, so that ids in paths can hit real rows as well as missing ones.
"""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# SCHEMATHESIS_MAX_EXAMPLES=500 for a deeper run by hand; the suite keeps 25.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]


# Loaded when the module is collected: the document needs no database. (schemathesis' lazy, fixture-built schema
# does not run under pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _test_connection_kept():
    """The app is called as a WSGI server would call it, so Django's end-of-request signal closes a connection
    left outside autocommit — which the test's own transaction is, on PostgreSQL. Django's test client unhooks
    that for the same reason; so does this."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def manager_session(client, manager):
    client.force_login(manager.user)
    return {"sessionid": client.cookies["sessionid"].value}

fuzzing = settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                   suppress_health_check=list(HealthCheck))


@schema.parametrize()
@fuzzing
def test_every_operation_anonymously(case, showroom, building):
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@fuzzing
def test_every_operation_with_a_managers_session(case, showroom, building, manager_session):
    # An operation behind the login declares the session cookie; a generated case without it tests the missing
    # login, so it goes without. Every other case carries the manager's real session.
    testing_missing_login = case.operation.definition.raw.get("security") and "sessionid" not in (case.cookies or {})
    case.call_and_validate(checks=CHECKS, cookies={} if testing_missing_login else manager_session)
