"""Audit the pinned dependencies (constraints.txt) for known vulnerabilities with pip-audit.

Exit 1 when a pinned version has a known vulnerability (each is listed with the versions that fix
it). When the vulnerability service cannot be reached, or knows none of the packages (an offline
mirror answers "not found" for every one), print a warning and exit 0: no network is not a failed
build, but it must not pass for a clean audit either.

    python scripts/audit.py [--requirements constraints.txt] [-- extra pip-audit arguments]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run_pip_audit(requirements: Path, extra: list[str]) -> tuple[int, dict[str, Any] | None, str]:
    """``(exit code, the JSON report or None, stderr)``; ``--no-deps``: every pin is exact."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        command = [sys.executable, "-m", "pip_audit", "-r", str(requirements), "--no-deps", "--disable-pip"]
        command += ["--progress-spinner", "off", "-f", "json", "-o", str(report), *extra]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        data = json.loads(report.read_text()) if report.exists() and report.stat().st_size else None
    return done.returncode, data, done.stderr


def verdict(data: dict[str, Any]) -> tuple[int, list[str]]:
    """``(exit code, lines to print)`` from pip-audit's JSON report."""
    deps = data.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    lines = [f"{d['name']}=={d['version']}: {v['id']} ({fixed(v)})" for d in vulnerable for v in d["vulns"]]
    if vulnerable:
        return 1, [f"pip-audit: known vulnerabilities in {len(vulnerable)} pinned package(s):", *lines]
    if deps and len(skipped) == len(deps):
        return 0, [
            f"WARNING pip-audit: none of the {len(deps)} pins could be audited "
            f"(vulnerability service unreachable or offline mirror): {skipped[0]['skip_reason']}"
        ]
    note = (
        f"; {len(skipped)} could not be audited: " + ", ".join(d["name"] for d in skipped) if skipped else ""
    )
    return 0, [f"pip-audit: no known vulnerabilities in {len(deps) - len(skipped)} pinned packages{note}"]


def fixed(vuln: dict[str, Any]) -> str:
    versions = vuln.get("fix_versions") or []
    return f"fixed in {', '.join(versions)}" if versions else "no fixed release yet"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--requirements", type=Path, default=ROOT / "constraints.txt", help="pinned requirements to audit"
    )
    parser.add_argument("extra", nargs="*", help="more pip-audit arguments, after --")
    args = parser.parse_args(argv)
    code, data, stderr = run_pip_audit(args.requirements, args.extra)
    if data is None:
        last = stderr.strip().splitlines()[-1:] or [f"exit code {code}"]
        print(f"WARNING pip-audit could not run the audit (network?): {last[0]}", file=sys.stderr)
        return 0
    status, lines = verdict(data)
    print("\n".join(lines), file=sys.stderr if status or lines[0].startswith("WARNING") else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
