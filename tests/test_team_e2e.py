"""Staff accounts in a real browser (Playwright driving Debian's chromium) against the portal served by
uvicorn, with a local aiosmtpd sink for the mail. No Rasa is needed.

A school admin invites a colleague on the Team page → the mail with the link reaches the sink → the
invitee opens the link, chooses a name and password and logs in → the admin changes the colleague's roles
→ a maintainer invites the first admin of a new school and sees its widget snippet. axe-core finds no
serious or critical problems on the new pages, and no page breaks the Content-Security-Policy.
"""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from support import CHROMIUM, CHROMIUM_ARGS, free_port
from test_notify import Mailbox
from test_portal import random_secret
from wegwijs.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]  # a browser and axe-core (fetched by `make integration`)
AXE = Path(__file__).parent / ".cache" / "axe.min.js"
ADMIN = ("beheer@hetbaken.example", "wachtwoord-van-de-beheerder")
KEEPER = ("onderhoud@wegwijs.example", "wachtwoord-van-onderhoud")
INVITEE = "nieuwe.collega@hetbaken.example"
INVITEE_PASSWORD = "mijn-eigen-lange-wachtwoord"


@pytest.fixture(scope="module")
def site(home, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` fetches axe-core with npm")
    import uvicorn
    from aiosmtpd.controller import Controller
    from playwright.sync_api import sync_playwright

    from wegwijs.db import migrate
    from wegwijs.db.engine import session_factory
    from wegwijs.portal.app import create_app
    from wegwijs.schools import SchoolRegistry
    from wegwijs.staff import add_staff

    tmp = tmp_path_factory.mktemp("team")
    db_url = f"sqlite:///{tmp / 'wegwijs.db'}"
    migrate.upgrade(db_url)
    with session_factory(db_url)() as session, session.begin():
        registry = SchoolRegistry.from_directory(home / "schools")
        add_staff(session, registry, email=ADMIN[0], name="Beheer Het Baken", kind="admin", password=ADMIN[1],
                  school_id="het-baken")
        add_staff(session, registry, email=KEEPER[0], name="Olaf Onderhoud", kind="maintainer",
                  password=KEEPER[1])
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    port = free_port()
    settings = Settings.from_env({
        "WEGWIJS_DB_URL": db_url, "WEGWIJS_PORTAL_SECRET": random_secret(),
        "WEGWIJS_SCHOOLS_DIR": str(home / "schools"), "WEGWIJS_DATA_DIR": str(home / "data"),
        "WEGWIJS_HOME": str(home), "WEGWIJS_PORTAL_SECURE_COOKIES": "false",
        "WEGWIJS_PORTAL_URL": f"http://127.0.0.1:{port}", "WEGWIJS_SMTP_HOST": "127.0.0.1",
        "WEGWIJS_SMTP_PORT": str(controller.port), "WEGWIJS_PUBLIC_WIDGET_URL": "https://wegwijs.example",
        "WEGWIJS_PUBLIC_RASA_URL": "https://chat.wegwijs.example"})
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the portal did not start"
        time.sleep(0.05)
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "browser": browser, "mailbox": mailbox,
               "db": sa.create_engine(db_url, future=True), "csp_errors": []}
    finally:
        browser.close()
        playwright.stop()
        server.should_exit = True
        thread.join(timeout=10)
        controller.stop()


def new_page(site):
    context = site["browser"].new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # portal.js asks before disabling and resetting
    page.on("console", lambda message: site["csp_errors"].append(message.text)
            if "Content Security Policy" in message.text else None)
    return context, page


def log_in(site, page, address: str, password: str) -> None:
    page.goto(f"{site['url']}/login")
    page.fill("#email", address)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/inbox")


def axe_problems(page):
    # evaluated by the test driver, not as an inline script: the portal's CSP forbids inline scripts
    page.evaluate("() => { " + AXE.read_text(encoding="utf-8") + "\n}")
    result = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: "
                           "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def roles_of(site, address: str):
    from wegwijs.db.models import StaffUser

    with site["db"].connect() as connection:
        return connection.execute(sa.select(StaffUser.display_name, StaffUser.kind, StaffUser.roles)
                                  .where(StaffUser.email == address)).one_or_none()


def test_invite_set_password_log_in_and_change_roles(site, home):
    admin_context, admin = new_page(site)
    invitee_context, invitee = new_page(site)
    try:
        log_in(site, admin, *ADMIN)
        admin.click("nav >> text=Team")
        admin.wait_for_url("**/team")
        assert admin.locator("h1").inner_text() == "Team"
        # the invitation form by keyboard: the address, then the roles
        admin.focus("#invite-email")
        admin.keyboard.type(INVITEE)
        admin.check("#invite-role-mentor")
        admin.click("form[action='/team/invite'] button[type=submit]")
        admin.wait_for_selector("text=Uitnodiging verstuurd")
        assert INVITEE in admin.inner_text("[data-testid=pending]")
        assert axe_problems(admin) == []

        # the mail reaches the sink: a link, the school's name, nothing else
        deadline = time.monotonic() + 10
        while not site["mailbox"].envelopes and time.monotonic() < deadline:
            time.sleep(0.1)
        [envelope] = site["mailbox"].envelopes
        mail = envelope.content.decode("utf-8", "replace")
        assert envelope.rcpt_tos == [INVITEE]
        link = re.search(r"http://127\.0\.0\.1:\d+/invitation/[A-Za-z0-9_-]{43}", mail).group(0)

        # the invitee chooses a name and a password
        invitee.goto(link)
        assert invitee.locator("h1").inner_text() == "Welkom bij het Wegwijs-portaal"
        assert axe_problems(invitee) == []
        invitee.fill("#name", "Nina Nieuw")
        invitee.fill("#password", INVITEE_PASSWORD)
        invitee.fill("#password_repeat", INVITEE_PASSWORD)
        invitee.click("main button[type=submit]")
        invitee.wait_for_selector("text=Je account is klaar, Nina Nieuw")
        assert axe_problems(invitee) == []
        assert roles_of(site, INVITEE) == ("Nina Nieuw", "staff", "mentor")
        # the link works once
        invitee.goto(link)
        assert "Deze link is al gebruikt" in invitee.inner_text("main")
        assert axe_problems(invitee) == []
        log_in(site, invitee, INVITEE, INVITEE_PASSWORD)
        assert "Nina Nieuw" in invitee.inner_text("header")

        # the admin makes her care coordinator as well
        admin.reload()
        member = admin.locator("li", has=admin.locator("h3", has_text="Nina Nieuw"))
        member.get_by_label("zorgcoördinator").check()
        member.locator("form[action$='/access'] button[type=submit]").click()
        admin.wait_for_selector("text=Opgeslagen.")
        assert roles_of(site, INVITEE) == ("Nina Nieuw", "staff", "mentor,zorgcoordinator")
        member = admin.locator("li", has=admin.locator("h3", has_text="Nina Nieuw"))
        assert member.locator("[data-testid=roles]").inner_text() == "mentor, zorgcoördinator"
        # the admin cannot disable their own account: there is no button for it
        me = admin.locator("li", has=admin.locator("h3", has_text="(jij)"))
        assert me.locator("form[action$='/disable']").count() == 0
        assert axe_problems(admin) == []
        (home / "results").mkdir(exist_ok=True)
        admin.screenshot(path=str(home / "results" / "portal-team.png"), full_page=True)

        # disabling ends her session at once
        member.locator("form[action$='/disable'] button[type=submit]").click()
        admin.wait_for_selector("text=Account uitgeschakeld")
        invitee.goto(f"{site['url']}/inbox")
        invitee.wait_for_url("**/login?next=/inbox")
    finally:
        admin_context.close()
        invitee_context.close()
    assert site["csp_errors"] == []


def test_a_maintainer_invites_a_first_admin_and_gets_the_snippet(site):
    context, page = new_page(site)
    try:
        log_in(site, page, *KEEPER)
        page.click("nav >> text=Eerste beheerder")
        page.wait_for_url("**/maintainer/first-admin")
        assert axe_problems(page) == []
        page.fill("#school_id", "de-nieuwe-school")
        page.fill("#email", "directie@nieuweschool.example")
        page.click("main form button[type=submit]")
        page.wait_for_selector("[data-testid=snippet]")
        assert page.inner_text("[data-testid=snippet]") == (
            '<script src="https://wegwijs.example/widget.js" data-school-id="de-nieuwe-school" '
            'data-server="https://chat.wegwijs.example" defer></script>')
        assert axe_problems(page) == []
        assert "directie@nieuweschool.example" in [rcpt for envelope in site["mailbox"].envelopes
                                                    for rcpt in envelope.rcpt_tos]
    finally:
        context.close()
    assert site["csp_errors"] == []
