"""Notification mail to the role's address: a link to the portal only, never conversation content."""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Optional

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


def send_notification(settings: Settings, to: Optional[str], role_label: str, school_name: str,
                      public_id: str, urgency: str) -> bool:
    """Send the mail; False (logged, without content) when SMTP is not set up or fails."""
    if not settings.smtp_host or not to:
        logger.info("handover %s: no notification sent (no SMTP host or no address)", public_id)
        return False
    if settings.smtp_user and not settings.smtp_starttls:
        logger.error("handover %s: no notification sent: WEGWIJS_SMTP_USER is set without "
                     "WEGWIJS_SMTP_STARTTLS, and a password is never sent over an unencrypted line", public_id)
        return False
    message = notification_mail(settings, to, role_label, school_name, public_id, urgency)
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
        logger.warning("handover %s: notification mail failed: %s", public_id, type(exc).__name__)
        return False
    return True
