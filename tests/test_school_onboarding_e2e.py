"""A new school runs Wegwijs itself, end to end in a real browser (Playwright driving Debian's chromium)
against real processes: Rasa (our socket.io channel), the action server, the widget server and the staff
portal on one SQLite database seeded with the example schools. Nothing is restarted along the way.

1. A maintainer creates the school on the portal's Scholen page, sees the one-line widget snippet and
   invites the school's first admin; the mail is caught by a local SMTP sink (aiosmtpd).
2. The admin opens the link and chooses a name and password.
3. The admin logs in, fills in the profile (a new contact person and a zorgcoördinator), writes the
   school's own note on a topic (after a preview), adds a holiday covering today, sets the widget's
   look and invites a zorgcoördinator (a second mail; she sets her password and logs in). axe-core finds
   no WCAG 2.1 A/AA violations on these portal pages.
4. A parent opens the chat on the school's demo page: the widget shows the school's name and colour, the
   answer names the new people and shows the school's note after the national answer, and a handover
   asked during the holiday says when the school will answer (the first school day after it). A markup
   payload as the widget's name stays text.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from support import CHROMIUM, CHROMIUM_ARGS, endpoints_for, free_port
from test_notify import Mailbox
from test_widget_e2e import AXE, axe_violations, bot_count, send, wait_for_reply, wait_sent
from wegwijs import serve
from wegwijs.training import model_path

pytestmark = [pytest.mark.integration, pytest.mark.model, pytest.mark.timeout(900)]

SCHOOL_ID = "de-zonnewijzer"
SCHOOL_NAME = "Basisschool De Zonnewijzer"
PASSWORD = "een-lang-wachtwoord-voor-de-zonnewijzer-42"
MAINTAINER = "onboarding-onderhoud@wegwijs.example"
ADMIN = "beheer@zonnewijzer.example"
CONTACT = "Ilse de Vries"
CARE = "Fatima El Amrani"
TOPIC = "care_zorgcoordinator"
NOTE = "Bij ons heeft Fatima elke dinsdag een inloopuur. Je hoeft geen afspraak te maken."
DISPLAY_NAME = "Zonnewijzer-chat"
COLOUR = "#7a1f5c"
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def dutch_day(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


@pytest.fixture(scope="module")
def stack(home, tmp_path_factory):
    if not model_path(home).exists():
        pytest.fail("no trained model: run `make model` first")
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` fetches axe-core with npm")
    from wegwijs.db import migrate
    from wegwijs.db.engine import session_factory
    from wegwijs.schools_store import SchoolReader, seed_database
    from wegwijs.staff import add_staff

    from aiosmtpd.controller import Controller

    tmp = tmp_path_factory.mktemp("onboarding")
    db_url = f"sqlite:///{tmp / 'wegwijs.db'}"
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    patch = pytest.MonkeyPatch()
    patch.setenv("WEGWIJS_DB_URL", db_url)
    patch.setenv("WEGWIJS_SMTP_HOST", "127.0.0.1")
    patch.setenv("WEGWIJS_SMTP_PORT", str(controller.port))
    migrate.upgrade(db_url)
    seed_database(db_url)  # the example schools; the new one comes from the portal
    with session_factory(db_url)() as session, session.begin():
        add_staff(session, SchoolReader(db_url), email=MAINTAINER, name="Olaf Onderhoud", kind="maintainer",
                  password=PASSWORD)
    rasa_port, actions_port, web_port, portal_port = free_port(), free_port(), free_port(), free_port()
    patch.setenv("WEGWIJS_PUBLIC_RASA_URL", f"http://127.0.0.1:{rasa_port}")
    patch.setenv("WEGWIJS_PUBLIC_WIDGET_URL", f"http://127.0.0.1:{web_port}")
    endpoints = endpoints_for(home, tmp, actions_port)
    keys = serve.new_secrets()
    specs = serve.services(home, "127.0.0.1", rasa_port, actions_port, web_port, endpoints=endpoints,
                           portal_port=portal_port, keys=keys)
    processes = serve.start(home, specs, tmp / "log", timeout=300)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield {"web": f"http://127.0.0.1:{web_port}", "rasa": f"http://127.0.0.1:{rasa_port}",
               "portal": f"http://127.0.0.1:{portal_port}", "db_url": db_url, "browser": browser,
               "processes": processes, "mailbox": mailbox}
    finally:
        browser.close()
        playwright.stop()
        serve.stop(processes)
        controller.stop()
        patch.undo()


def log_in(stack, email):
    context = stack["browser"].new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{stack['portal']}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    submit(page, "button[type=submit]", "**/inbox**")
    return context, page


def submit(page, selector, url=None):
    """Click a form's button and wait until the page it leads to has loaded."""
    with page.expect_navigation(url=url, wait_until="load", timeout=60000):
        page.click(selector)
    page.wait_for_selector("main h1")


def link_mailed_to(stack, address):
    """The one-time link in the mail to ``address`` (waits for it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for envelope in list(stack["mailbox"].envelopes):
            if address in envelope.rcpt_tos:
                mail = envelope.content.decode("utf-8", "replace")
                return re.search(r"http://(?:127\.0\.0\.1|localhost):\d+/invitation/[A-Za-z0-9_-]{43}", mail).group(0)
        time.sleep(0.2)
    raise AssertionError(f"no mail to {address}")


def accept_invitation(stack, link, name):
    """Open the mailed link, choose a name and a password."""
    context = stack["browser"].new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(link)
        assert page.locator("h1").inner_text() == "Welkom bij het Wegwijs-portaal"
        assert axe_violations(page) == []
        page.fill("#name", name)
        page.fill("#password", PASSWORD)
        page.fill("#password_repeat", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_selector(f"text=Je account is klaar, {name}")
    finally:
        context.close()


def pids(stack):
    return [process.pid for process in stack["processes"]]


def test_a_new_school_set_up_in_the_portal_is_live_in_the_chat(stack, home):
    started = pids(stack)
    amsterdam_today = dt.datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    holiday_start, holiday_end = amsterdam_today - dt.timedelta(days=1), amsterdam_today + dt.timedelta(days=2)
    first_day = holiday_end + dt.timedelta(days=1)
    while first_day.weekday() >= 5:
        first_day += dt.timedelta(days=1)

    # 1. the maintainer creates the school
    context, page = log_in(stack, MAINTAINER)
    try:
        submit(page, "nav >> text=Scholen", "**/schools")
        assert axe_violations(page) == []
        page.fill("#f-school_id", SCHOOL_ID)
        page.fill("#f-name", SCHOOL_NAME)
        page.select_option("#f-type", "po")
        page.fill("#f-gemeente", "Utrecht")
        page.fill("#f-samenwerkingsverband", "Samenwerkingsverband PO Utrecht")
        page.fill("#f-contact_person__name", "Iemand Tijdelijk")
        page.fill("#f-contact_person__phone", "012-3450000")
        submit(page, "main button:has-text('School aanmaken')", f"**/schools/{SCHOOL_ID}?notice=school_created")
        snippet = page.inner_text("#widget-snippet")
        assert snippet == (f'<script src="{stack["web"]}/widget.js" data-school-id="{SCHOOL_ID}" '
                           f'data-server="{stack["rasa"]}" defer></script>')
        assert axe_violations(page) == []
        # ... and invites the school's first admin from the school's page
        submit(page, "#invite-first-admin", "**/maintainer/first-admin?school_id=*")
        assert page.input_value("#school_id") == SCHOOL_ID
        page.fill("#email", ADMIN)
        submit(page, "main form button[type=submit]")
        page.wait_for_selector("[data-testid=snippet]")
        assert SCHOOL_ID in page.inner_text("[data-testid=snippet]")
        assert axe_violations(page) == []
    finally:
        context.close()

    # 2. the admin sets a password through the mailed link
    link = link_mailed_to(stack, ADMIN)
    mail = next(envelope.content.decode("utf-8", "replace") for envelope in stack["mailbox"].envelopes
                if ADMIN in envelope.rcpt_tos)
    assert SCHOOL_NAME in mail  # the school as created in the portal, not a file
    accept_invitation(stack, link, "Beheer De Zonnewijzer")
    from wegwijs.db.engine import session_factory

    # 3. the admin fills in the school
    context, page = log_in(stack, ADMIN)
    try:
        submit(page, "nav >> text=School", "**/school")
        assert SCHOOL_ID in page.inner_text("#widget-snippet")
        assert axe_violations(page) == []

        page.goto(f"{stack['portal']}/school/profile")
        page.fill("#f-contact_person__name", CONTACT)
        page.fill("#f-contact_person__email", "info@zonnewijzer.example")
        page.fill("#f-zorgcoordinator__name", CARE)
        page.fill("#f-zorgcoordinator__phone", "012-3450011")
        page.fill("#f-zorgcoordinator__hours", "dinsdag 08:30-12:00")
        page.fill("#f-zorgcoordinator__phone", "12345")  # first a mistake: a clear message, nothing lost
        submit(page, "main button:has-text('Opslaan')")
        page.wait_for_selector("[role=alert]")
        assert "is geen Nederlands telefoonnummer" in page.inner_text("[role=alert]")
        assert page.input_value("#f-zorgcoordinator__name") == CARE
        assert axe_violations(page) == []
        page.fill("#f-zorgcoordinator__phone", "012-3450011")
        submit(page, "main button:has-text('Opslaan')", "**/school/profile?notice=profile_saved")
        assert axe_violations(page) == []

        page.goto(f"{stack['portal']}/school/notes")
        page.select_option("#f-topic", TOPIC)
        page.fill("#f-text", NOTE)
        submit(page, "main button:has-text('Bekijk eerst')")
        page.wait_for_selector("#preview-title")
        preview = page.inner_text(".preview .reply")
        assert f"Van {SCHOOL_NAME}: {NOTE}" in preview and CARE in preview
        assert axe_violations(page) == []
        submit(page, "main button:has-text('Opslaan')", "**/school/notes?notice=school_note_saved")
        assert NOTE in page.inner_text("table")
        assert axe_violations(page) == []

        page.goto(f"{stack['portal']}/school/holidays")
        page.fill("#f-start", holiday_start.isoformat())
        page.fill("#f-end", holiday_end.isoformat())
        page.fill("#f-label", "studiedagen")
        submit(page, "main button:has-text('Toevoegen')", "**/school/holidays?notice=holiday_added")
        assert "studiedagen" in page.inner_text("table")
        assert axe_violations(page) == []

        page.goto(f"{stack['portal']}/school/widget")
        page.fill("#f-display_name", DISPLAY_NAME)
        page.fill("#f-colour", "#ffdd00")  # too light for white text
        submit(page, "main button:has-text('Opslaan')")
        page.wait_for_selector("[role=alert]")
        assert "te licht" in page.inner_text("[role=alert]")
        page.fill("#f-colour", COLOUR)
        submit(page, "main button:has-text('Opslaan')", "**/school/widget?notice=widget_saved")
        assert axe_violations(page) == []

        # the admin invites the school's zorgcoördinator, who sets her password and logs in
        submit(page, "nav >> text=Team", "**/team")
        page.fill("#invite-email", "zorg@zonnewijzer.example")
        page.check("#invite-role-zorgcoordinator")
        submit(page, "form[action='/team/invite'] button[type=submit]")
        page.wait_for_selector("text=Uitnodiging verstuurd")
        assert axe_violations(page) == []
        accept_invitation(stack, link_mailed_to(stack, "zorg@zonnewijzer.example"), CARE)
        care_context, care_page = log_in(stack, "zorg@zonnewijzer.example")
        assert CARE in care_page.inner_text("header")
        care_context.close()

        page.goto(f"{stack['portal']}/audit")
        audit = page.inner_text("table")
        for action in ("gegevens gewijzigd", "eigen tekst opgeslagen", "vakantie toegevoegd"):
            assert action in audit, action
    finally:
        context.close()

    # 4. a parent on the school's website (the demo page), with nothing restarted
    context = stack["browser"].new_context(viewport={"width": 1280, "height": 900})
    csp_errors = []
    try:
        page = context.new_page()
        page.on("console", lambda message: csp_errors.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.goto(f"{stack['web']}/demo/{SCHOOL_ID}/")
        assert SCHOOL_NAME in page.inner_text("h1")
        page.click(".ww-launcher")
        page.wait_for_selector(".ww-panel:not([hidden])")
        page.wait_for_function(f"() => document.getElementById('wegwijs-title').textContent === '{DISPLAY_NAME}'")
        accent = page.evaluate("getComputedStyle(document.querySelector('.ww-header')).backgroundColor")
        assert accent == "rgb(122, 31, 92)", accent

        before = bot_count(page)
        send(page, "wie is de zorgcoordinator")
        wait_for_reply(page, before, CARE)
        answer = page.locator(".ww-from-bot", has_text=CARE).last.inner_text()
        assert f"Van {SCHOOL_NAME}: {NOTE}" in answer
        from wegwijs.content import ContentLibrary

        national = ContentLibrary.load(home / "data").get(TOPIC).variant("short", "po")[:30]  # a basisschool
        assert national in answer, answer
        assert answer.index(national) < answer.index(f"Van {SCHOOL_NAME}:")  # the note after the national answer

        before = bot_count(page)
        send(page, "kan ik iemand spreken")
        wait_for_reply(page, before, "Wat wil je vragen")
        for text, expected in (("Hoe kan mijn dochter extra hulp krijgen in de klas?", ""),
                               ("groep 6", ""), ("chat", "Vind je het goed")):
            before = bot_count(page)
            send(page, text)
            wait_for_reply(page, before, expected)
            wait_sent(page)
        page.wait_for_function("() => document.querySelector('.ww-log').textContent.includes('Vind je het goed')",
                               timeout=60000)
        log = page.inner_text(".ww-log")
        assert "Het is nu studiedagen" in log, log[-800:]
        assert f"De eerste schooldag daarna is {dutch_day(first_day)}" in log, log[-800:]
        assert CARE in log or CONTACT in log
        assert not csp_errors, csp_errors
        (home / "results").mkdir(exist_ok=True)
        page.screenshot(path=str(home / "results" / "onboarding-widget.png"))
    finally:
        context.close()

    # a payload as the widget's name stays text in the parent's browser
    from wegwijs import schools_store

    payload = '"><img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'
    with session_factory(stack["db_url"])() as session, session.begin():
        schools_store.set_widget(session, schools_store.Actor.system(), SCHOOL_ID, display_name=payload[:40],
                                 colour=COLOUR)
    context = stack["browser"].new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{stack['web']}/demo/{SCHOOL_ID}/")
        page.wait_for_function("() => document.getElementById('wegwijs-title').textContent.startsWith('\"><img')")
        assert page.inner_text("#wegwijs-title") == payload[:40]
        assert page.evaluate("document.querySelectorAll('.wegwijs img, .wegwijs script').length") == 0
        assert page.evaluate("window.__xss === undefined")
    finally:
        context.close()

    assert pids(stack) == started and all(process.poll() is None for process in stack["processes"])
    with sa.create_engine(stack["db_url"], future=True).connect() as connection:
        actions = {row[0] for row in connection.execute(sa.text(
            "select action from wegwijs_audit_log where school_id = :s"), {"s": SCHOOL_ID})}
    assert {"school_create", "school_update", "note_set", "holiday_add"} <= actions
