"""`make test` installs the system packages it needs from one list (deploy/system-packages.sh), which CI
uses too and the README names."""
from __future__ import annotations

import re
import subprocess


def packages(home) -> set:
    script = (home / "deploy" / "system-packages.sh").read_text()
    return {name for group in re.findall(r"missing\+=\(([^)]*)\)", script) for name in group.split()}


def test_one_list_used_by_make_test_and_ci_and_named_in_the_readme(home):
    names = packages(home)
    assert {"chromium", "npm", "redis-server", "nginx-light", "postgresql"} <= names
    makefile = (home / "Makefile").read_text()
    assert re.search(r"^test: system ", makefile, re.M) and "deploy/system-packages.sh" in makefile
    ci = (home / ".ci" / "run").read_text()
    assert "make test" in ci and not any(name in ci for name in names - {"make"})  # no second list
    readme = (home / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in names)


def test_the_check_mode_lists_what_is_missing_without_installing(home, tmp_path):
    import shutil

    # a PATH with only what the script itself runs: chromium, npm and redis-server are then missing
    for tool in ("bash", "ls", "id"):
        (tmp_path / tool).symlink_to(shutil.which(tool))
    result = subprocess.run(["bash", str(home / "deploy" / "system-packages.sh"), "--check"],
                            capture_output=True, text=True, env={"PATH": str(tmp_path)})
    assert result.returncode == 1, result.stderr
    assert "missing" in result.stdout
    for name in ("chromium", "npm", "redis-server"):
        assert name in result.stdout
