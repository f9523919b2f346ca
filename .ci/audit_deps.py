"""Audit requirements.txt for known vulnerabilities with pip-audit, and say plainly
what was and was not audited.

pip-audit's PyPI source reports "No known vulnerabilities found" and exits 0 even
when it could audit none of the packages (a mirror without PyPI's JSON API answers
404 for every one). That would pretend to pass. So:
- known vulnerabilities              -> exit 1 (the build fails);
- advisory service unreachable,
  or packages it could not audit     -> a loud NOT AUDITED notice, exit 0;
- everything audited, none vulnerable -> "passed", exit 0.

Usage: python .ci/audit_deps.py [pip-audit executable] [requirements file]
"""

import json
import subprocess
import sys

BANNER = "!" * 78


def audit_verdict(returncode: int, stdout: str, stderr: str) -> tuple[int, str]:
    """(exit code, message) for one pip-audit run with `-f json`."""
    try:
        report = json.loads(stdout)
    except ValueError:
        report = None
    if report is None:
        unreachable = any(
            marker in stderr
            for marker in ("ConnectionError", "NameResolutionError", "Max retries", "timed out")
        )
        if unreachable:
            last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
            return 0, (
                f"{BANNER}\nDEPENDENCY AUDIT NOT DONE: the vulnerability advisory service "
                f"could not be reached from this machine.\nNothing was audited; this is NOT "
                f"a pass.\n{last[:300]}\n{BANNER}"
            )
        return 1, f"pip-audit failed (exit {returncode}) without a report:\n{stderr[-2000:]}"

    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    lines = []
    if vulnerable:
        lines.append(f"KNOWN VULNERABILITIES in {len(vulnerable)} package(s):")
        for dep in vulnerable:
            ids = ", ".join(v["id"] for v in dep["vulns"])
            lines.append(f"  {dep['name']} {dep.get('version', '')}: {ids}")
    if skipped:
        lines.append(
            f"{BANNER}\nNOT AUDITED: {len(skipped)} of {len(dependencies)} package(s); the "
            f"advisory service had no answer for them (this is NOT a pass for them):"
        )
        lines.extend(f"  {dep['name']}: {dep['skip_reason']}" for dep in skipped)
        lines.append(BANNER)
    if audited:
        lines.append(
            f"Audited {audited} of {len(dependencies)} package(s): "
            f"{len(vulnerable)} with known vulnerabilities."
        )
    if vulnerable:
        return 1, "\n".join(lines)
    if not skipped:
        lines.append("Dependency audit passed.")
    return 0, "\n".join(lines)


def main() -> int:
    pip_audit = sys.argv[1] if len(sys.argv) > 1 else "pip-audit"
    requirements = sys.argv[2] if len(sys.argv) > 2 else "requirements.txt"
    try:
        result = subprocess.run(  # noqa: S603 (fixed command, our own arguments)
            [
                pip_audit,
                "-r",
                requirements,
                "--no-deps",
                "--disable-pip",
                "--progress-spinner",
                "off",
                "-f",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        print(f"{BANNER}\nDEPENDENCY AUDIT NOT DONE: pip-audit timed out.\n{BANNER}")
        return 0
    code, message = audit_verdict(result.returncode, result.stdout, result.stderr)
    print(message)
    return code


if __name__ == "__main__":
    sys.exit(main())
