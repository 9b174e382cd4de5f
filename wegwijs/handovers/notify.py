"""Notification mail to the role's address: a link to the portal only, never conversation content.

One mail per handover (:func:`notification_mail`), or one for several handovers that came in within one
window (:func:`bundle_mail`, "3 nieuwe vragen"); ``wegwijs.handovers.batching`` decides which.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from collections import Counter
from email.message import EmailMessage
from typing import Optional, Sequence, Tuple

from wegwijs.db.models import URGENCY_LABELS
from wegwijs.settings import Settings

logger = logging.getLogger(__name__)


def notification_mail(settings: Settings, to: str, role_label: str, school_name: str,
                      public_id: str, urgency: str) -> EmailMessage:
    """The mail: who it is for, the urgency, the link. Nothing of what the parent wrote."""
    link = f"{settings.portal_url.rstrip('/')}/handovers/{public_id}"
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    prefix = "[Spoed] " if urgency == "urgent" else ""
    message["Subject"] = f"{prefix}Nieuwe vraag van een ouder voor {role_label} ({school_name})"
    message.set_content(
        f"Er is een nieuwe vraag van een ouder voor {role_label} van {school_name}.\n"
        f"Urgentie: {URGENCY_LABELS.get(urgency, urgency)}.\n\n"
        f"Bekijk de vraag in het portaal (inloggen nodig):\n{link}\n\n"
        "Deze mail bevat bewust geen inhoud van het gesprek.\n")
    return message


#: One handover in a bundle: its public id, the role's label ("de zorgcoördinator"), the school's name
#: and the urgency. Nothing the parent wrote.
BundleItem = Tuple[str, str, str, str]


def bundle_mail(settings: Settings, to: str, items: Sequence[BundleItem]) -> EmailMessage:
    """One mail for several handovers to the same address: how many, for whom, the urgencies and a link
    to each. Nothing of what the parents wrote."""
    base = settings.portal_url.rstrip('/')
    schools = ", ".join(sorted({school for _, _, school, _ in items}))
    urgencies = Counter(urgency for *_, urgency in items)
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    prefix = "[Spoed] " if urgencies.get("urgent") else ""
    message["Subject"] = f"{prefix}{len(items)} nieuwe vragen van ouders ({schools})"
    counts = ", ".join(f"{urgencies[urgency]}× {URGENCY_LABELS[urgency]}" for urgency in URGENCY_LABELS
                       if urgencies.get(urgency))
    links = "".join(f"- {role_label} van {school}, urgentie {URGENCY_LABELS.get(urgency, urgency)}:\n"
                    f"  {base}/handovers/{public_id}\n" for public_id, role_label, school, urgency in items)
    message.set_content(
        f"Er zijn {len(items)} nieuwe vragen van ouders binnengekomen ({schools}).\n"
        f"Urgentie: {counts}.\n\n"
        f"Bekijk ze in het portaal (inloggen nodig):\n{links}\n"
        "Vragen die kort na elkaar binnenkomen, bundelt Wegwijs in één mail.\n"
        "Deze mail bevat bewust geen inhoud van de gesprekken.\n")
    return message


def send_notification(settings: Settings, to: Optional[str], role_label: str, school_name: str,
                      public_id: str, urgency: str) -> bool:
    """Send the mail; False (logged, without content) when SMTP is not set up or fails."""
    if not can_send(settings, to, public_id):
        return False
    return send(settings, notification_mail(settings, to, role_label, school_name, public_id, urgency),
                public_id)


def can_send(settings: Settings, to: Optional[str], what: str) -> bool:
    """Whether a mail to ``to`` can go out (SMTP set up safely, an address); if not, logged without content."""
    if not settings.smtp_host or not to:
        logger.info("handover %s: no notification sent (no SMTP host or no address)", what)
        return False
    if settings.smtp_user and not settings.smtp_starttls:
        logger.error("handover %s: no notification sent: WEGWIJS_SMTP_USER is set without "
                     "WEGWIJS_SMTP_STARTTLS, and a password is never sent over an unencrypted line", what)
        return False
    return True


def send(settings: Settings, message: EmailMessage, what: str) -> bool:
    """Send a mail over the configured SMTP server; False (logged, without content) when it cannot go
    out or fails. ``what`` names the handover(s) in the log."""
    if not can_send(settings, message["To"], what):
        return False
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            if settings.smtp_starttls:
                # the server's certificate is verified (host name and chain); a school with its own
                # authority names it in WEGWIJS_SMTP_CAFILE
                smtp.starttls(context=ssl.create_default_context(cafile=settings.smtp_cafile or None))
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:  # ssl.SSLError (an unverified certificate) is an OSError
        logger.warning("handover %s: notification mail failed: %s", what, type(exc).__name__)
        return False
    return True
