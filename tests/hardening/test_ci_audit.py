"""The CI dependency audit fails on vulnerabilities and never passes what it did not audit."""

import importlib.util
import json

from tests.hardening.conftest import PROJECT_DIR

_spec = importlib.util.spec_from_file_location("audit_deps", PROJECT_DIR / ".ci" / "audit_deps.py")
audit_deps = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit_deps)


def _report(*dependencies):
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_a_known_vulnerability_fails_the_build():
    report = _report(
        {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-2025-1"}]},
        {"name": "celery", "version": "5.7.0", "vulns": []},
    )

    code, message = audit_deps.audit_verdict(1, report, "")

    assert code == 1
    assert "django 5.2.0: PYSEC-2025-1" in message
    assert "passed" not in message


def test_packages_the_service_could_not_answer_for_are_reported_not_passed():
    report = _report(
        {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited"},
        {"name": "celery", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    )

    code, message = audit_deps.audit_verdict(0, report, "No known vulnerabilities found")

    assert code == 0
    assert "NOT AUDITED: 2 of 2" in message
    assert "passed" not in message


def test_an_unreachable_service_is_said_plainly_and_does_not_fail():
    stderr = "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev')"

    code, message = audit_deps.audit_verdict(1, "", stderr)

    assert code == 0
    assert "DEPENDENCY AUDIT NOT DONE" in message
    assert "NOT a pass" in message


def test_a_clean_full_audit_passes():
    report = _report({"name": "django", "version": "5.2.19", "vulns": []})

    code, message = audit_deps.audit_verdict(0, report, "")

    assert code == 0
    assert "Audited 1 of 1" in message and "Dependency audit passed." in message


def test_pip_audit_crashing_for_another_reason_fails():
    code, _ = audit_deps.audit_verdict(2, "", "usage: pip-audit: error: bad flag")
    assert code == 1
