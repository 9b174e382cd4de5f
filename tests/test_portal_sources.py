"""The maintainers' sources page (/sources): every answer's source, the oldest reading first."""
from __future__ import annotations

import datetime as dt
import re

from test_portal import portal  # noqa: F401  (the fixture)
from wegwijs.checks import readings
from wegwijs.content import ContentLibrary


def test_only_maintainers_see_the_sources_and_the_oldest_comes_first(portal, home):  # noqa: F811
    for key in ("a_staff", "a_admin"):
        client, _ = portal.login_as(key)
        assert client.get("/sources").status_code == 404
        assert 'href="/sources"' not in client.get("/inbox").text
    client, _ = portal.login_as("maintainer")
    assert 'href="/sources"' in client.get("/inbox").text
    page = client.get("/sources")
    assert page.status_code == 200
    library = ContentLibrary.load(home / "data")
    keys = re.findall(r"<td><code>([^<]+)</code></td>", page.text)
    assert len(keys) == len(library.answers()) + len(library.questions()) + len(library.referrals.parts)
    reads = [row.read for row in readings(library)]
    assert reads == sorted(reads)  # oldest first
    assert keys[0] == readings(library)[0].key


def test_readings_warn_then_fail_with_age(home):
    library = ContentLibrary.load(home / "data")
    first = readings(library, today=dt.date(2026, 12, 3))[0]
    later = [row for row in readings(library, today=dt.date(2030, 1, 1)) if row.key == first.key][0]
    assert later.state == "over" and later.months > first.months



def test_the_check_warns_after_12_months_and_fails_after_18(home):
    from wegwijs.checks import check_sources

    library = ContentLibrary.load(home / "data")
    problems, warnings = check_sources(library, today=dt.date(2027, 1, 1))  # 2025-10 is 15 months old
    assert warnings and not [p for p in problems if "months ago" in p]
    problems, _ = check_sources(library, today=dt.date(2027, 6, 1))  # 20 months
    assert [p for p in problems if "over 18 months ago" in p]
    problems, warnings = check_sources(library, today=dt.date(2027, 6, 1), warn_months=24, max_months=30)
    assert not [p for p in problems if "months ago" in p] and not warnings
