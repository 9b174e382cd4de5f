"""Dependency audit (`make audit`): pip-audit over the project's installed packages, with waivers.

Every known vulnerability fails the audit unless `.ci/audit-waivers.yml` waives it with a reason and a
date by which it is looked at again. When the vulnerability data cannot be reached (this project's CI
and development machines reach the package registries' download index only; PyPI's JSON API, which
pip-audit reads, answers 404 there), the audit says so loudly, lists what it could not check, and
exits 0 only then: an unreachable database is not a finding, and it is reported, not hidden.
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


def main() -> int:
    pip_audit, python, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    waivers = yaml.safe_load((HERE / "audit-waivers.yml").read_text(encoding="utf-8")) or []
    today = dt.date.today()
    for waiver in waivers:
        if not waiver.get("reason") or not waiver.get("review_by"):
            print(f"waiver {waiver.get('id')}: needs a reason and review_by", file=sys.stderr)
            return 2
        if dt.date.fromisoformat(str(waiver["review_by"])) < today:
            print(f"waiver {waiver['id']} ({waiver.get('package')}) expired on {waiver['review_by']}: "
                  "look at it again", file=sys.stderr)
            return 1
    frozen = subprocess.run([python, "-m", "pip", "freeze", "--exclude-editable"], check=True,
                            capture_output=True, text=True).stdout
    requirements = out.with_suffix(".requirements.txt")
    requirements.write_text("".join(line + "\n" for line in frozen.splitlines()
                                    if line and not line.startswith(("-e", "#"))), encoding="utf-8")
    command = [pip_audit, "-r", str(requirements), "--no-deps", "--disable-pip", "-s", "pypi", "-f", "json",
               "-o", str(out), "--progress-spinner", "off"]
    for waiver in waivers:
        command += ["--ignore-vuln", str(waiver["id"])]
    out.unlink(missing_ok=True)  # never read the report of an earlier run
    result = subprocess.run(command, capture_output=True, text=True)
    if not out.exists():
        print(f"pip-audit wrote no report (exit {result.returncode}):\n{result.stderr[-2000:]}", file=sys.stderr)
        return 2
    report = json.loads(out.read_text(encoding="utf-8"))
    packages = report.get("dependencies", [])
    found = [(package["name"], package["version"], vuln["id"], vuln.get("fix_versions"))
             for package in packages for vuln in package.get("vulns", [])]
    unchecked = [package["name"] for package in packages if package.get("skip_reason")]
    for name, version, vuln_id, fixes in found:
        print(f"VULNERABLE {name} {version}: {vuln_id} (fixed in {', '.join(fixes or []) or '-'})")
    print(f"audited {len(packages) - len(unchecked)} of {len(packages)} packages; {len(found)} "
          f"vulnerabilities not waived; {len(waivers)} waivers")
    if found:
        return 1
    if result.returncode != 0:
        # pip-audit exits 1 when it finds something; with nothing found that is an error of its own
        print(f"pip-audit failed (exit {result.returncode}):\n{result.stderr[-2000:]}", file=sys.stderr)
        return 2
    if unchecked:
        print(f"NOT AUDITED: the vulnerability data could not be reached for {len(unchecked)} packages "
              f"(for example {', '.join(unchecked[:5])}); run `make audit` where pypi.org's JSON API "
              "answers.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
