"""Staff accounts managed in the portal (issue 16): invitations by e-mail, password-reset links, roles,
disabling and enabling, with the rule that a school never loses its last active admin.

A link is one-time and expiring: the mail holds a random token (256 bits), the database only its SHA-256
(:class:`~wegwijs.db.models.StaffInvitation`). Using a link is one conditional UPDATE (not used, not
revoked, not expired), so two tabs cannot both use it. Passwords follow the portal's one rule
(:func:`wegwijs.portal.security.hash_password`: at least 12 characters).

Forcing a new password (:func:`start_reset`, the mail, :func:`finish_reset`) mails a reset link to the
account's address, then replaces the account's password by a random one nobody knows and ends its
sessions: the old password stops working at once (also for whoever may have learned it), and only the
person with the mailbox chooses the new one. If the mail does not go out, the password stays.

Mails are sent after the database work is committed (as the notification mails are), so no SQLite write
lock is held while the SMTP server answers; a link whose mail failed is withdrawn (:func:`link_not_sent`).

Every change writes an audit row (:func:`record`): who, when, which account, the value before and after.
Messages in :class:`TeamError` are Dutch, for staff.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from email.message import EmailMessage
from typing import List, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from wegwijs.db.models import AuditEntry, StaffInvitation, StaffSession, StaffUser
from wegwijs.handovers import notify
from wegwijs.handovers.routing import SCHOOL_ROLES
from wegwijs.portal import security
from wegwijs.schools import SCHOOL_ID_PATTERN
from wegwijs.settings import Settings

#: How long an invitation link works.
INVITATION_HOURS = 72
#: How long a link for a new password works.
RESET_HOURS = 24
#: Links (invitations and password resets) one person may send per hour.
LINKS_PER_HOUR = 20
#: The kinds of account an admin may give (maintainers are made on the command line only).
SCHOOL_KINDS = ("staff", "admin")
KIND_LABELS = {"staff": "medewerker", "admin": "beheerder", "maintainer": "onderhoud Wegwijs"}
MAX_NAME_CHARS = 120
#: Stricter than ``wegwijs.staff``: the characters mail servers accept in practice (no quotes, no < >)
_EMAIL_SHAPE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")

SELF_LOCKOUT = ("Dit kan niet: je kunt je eigen account niet uitschakelen, jezelf geen beheerder-af maken "
                "en je eigen wachtwoord hier niet wissen. Vraag een andere beheerder van je school.")
LAST_ADMIN = ("Dit kan niet: dan heeft de school geen actieve beheerder meer. Maak eerst iemand anders "
              "beheerder.")
LINK_MESSAGES = {
    "unknown": "Deze link kennen we niet. Kijk of je de hele link uit de mail hebt gebruikt.",
    "used": "Deze link is al gebruikt. Een link werkt maar één keer. Heb je al een wachtwoord gekozen? "
            "Log dan in. Anders: vraag de beheerder van je school om een nieuwe link.",
    "expired": "Deze link is verlopen. Vraag de beheerder van je school om een nieuwe link.",
    "revoked": "Deze link is ingetrokken of vervangen door een nieuwere. Gebruik de nieuwste mail, of vraag "
               "de beheerder van je school om een nieuwe link.",
    "disabled": "Dit account is uitgeschakeld. Vraag de beheerder van je school om hulp.",
    "exists": "Voor dit e-mailadres bestaat al een account. Log in, of vraag de beheerder van je school om "
              "hulp.",
}


class TeamError(ValueError):
    """A change to staff accounts that is not allowed; the message is Dutch, for staff."""


class LockOut(TeamError):
    """The change would lock the admin or the school out (:data:`SELF_LOCKOUT`, :data:`LAST_ADMIN`)."""


class TooManyLinks(TeamError):
    """The person sent ``LINKS_PER_HOUR`` links in the last hour."""


def describe(kind: str, roles: Sequence[str], active: Optional[bool] = None) -> str:
    """An account's access for the audit log, for example ``admin: mentor,zorgcoordinator``."""
    text = f"{kind}: {','.join(roles) or '-'}"
    if active is not None:
        text += "" if active else " (uitgeschakeld)"
    return text[:255]


def record(session: Session, actor: Optional[StaffUser], action: str, *, school_id: Optional[str],
           target_id: Optional[int] = None, old: Optional[str] = None, new: Optional[str] = None,
           detail: Optional[str] = None) -> None:
    """An audit row for a change of staff accounts: who, what, about whom, before and after."""
    session.add(AuditEntry(user_id=actor.id if actor else None, school_id=school_id, action=action,
                           target_user_id=target_id, old_value=old, new_value=new,
                           detail=detail[:255] if detail else None))


def clean_name(name: str) -> str:
    """A person's name as typed, without control characters (PostgreSQL refuses NUL) and with single
    spaces."""
    name = "".join(char for char in unicodedata.normalize("NFC", name or "")
                   if not unicodedata.category(char).startswith("C") or char.isspace())
    return " ".join(name.split())


def clean_email(email: str) -> str:
    """The address in lower case, else :class:`TeamError`."""
    email = (email or "").strip().lower()
    if len(email) > 254 or not _EMAIL_SHAPE.match(email):
        raise TeamError("Vul een geldig e-mailadres in, bijvoorbeeld naam@school.nl.")
    return email


def clean_roles(roles: Sequence[str]) -> List[str]:
    """Known roles, each once, in the portal's order; else :class:`TeamError`."""
    unknown = [role for role in roles if role not in SCHOOL_ROLES]
    if unknown:
        raise TeamError("Onbekende rol.")
    return [role for role in SCHOOL_ROLES if role in roles]


def links_sent_last_hour(session: Session, actor: StaffUser, now: dt.datetime) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(StaffInvitation).where(
        StaffInvitation.invited_by == actor.id,
        StaffInvitation.created_at > now - dt.timedelta(hours=1))).scalar_one()


def _check_rate(session: Session, actor: StaffUser, now: dt.datetime) -> None:
    if links_sent_last_hour(session, actor, now) >= LINKS_PER_HOUR:
        raise TooManyLinks(f"Je hebt het afgelopen uur al {LINKS_PER_HOUR} links verstuurd. Probeer het over "
                           "een uur opnieuw.")


def _new_link(session: Session, actor: StaffUser, now: dt.datetime, hours: int,
              **fields) -> Tuple[StaffInvitation, str]:
    token = security.new_token()
    invitation = StaffInvitation(token_hash=security.token_hash(token), invited_by=actor.id,
                                 created_at=now, expires_at=now + dt.timedelta(hours=hours), **fields)
    session.add(invitation)
    session.flush()
    return invitation, token


def _revoke_open(session: Session, now: dt.datetime, *conditions) -> None:
    session.execute(sa.update(StaffInvitation).where(
        StaffInvitation.used_at.is_(None), StaffInvitation.revoked_at.is_(None), *conditions)
        .values(revoked_at=now).execution_options(synchronize_session=False))


def invite(session: Session, actor: StaffUser, *, school_id: str, email: str, kind: str,
           roles: Sequence[str], now: dt.datetime) -> Tuple[StaffInvitation, str]:
    """A new invitation (and its token, for the mail only). An admin invites to their own school; a
    maintainer to any school id of the right form. An older open invitation of the address is revoked."""
    if not SCHOOL_ID_PATTERN.match(school_id or ""):
        raise TeamError("Een schoolcode heeft alleen kleine letters, cijfers en streepjes (-), bijvoorbeeld "
                        "de-regenboog.")
    email = clean_email(email)
    if kind not in SCHOOL_KINDS:
        raise TeamError("Kies medewerker of beheerder.")
    roles = clean_roles(roles)
    if session.execute(sa.select(StaffUser.id).where(StaffUser.email == email)).first():
        raise TeamError("Voor dit e-mailadres bestaat al een account.")
    _check_rate(session, actor, now)
    _revoke_open(session, now, StaffInvitation.email == email, StaffInvitation.purpose == "invite")
    invitation, token = _new_link(session, actor, now, INVITATION_HOURS, purpose="invite",
                                  school_id=school_id, email=email, kind=kind, roles=",".join(roles))
    record(session, actor, "staff_invited", school_id=school_id, new=describe(kind, roles),
           detail=f"{email} (uitnodiging {invitation.id})")
    return invitation, token


def start_reset(session: Session, actor: StaffUser, target: StaffUser,
                now: dt.datetime) -> Tuple[StaffInvitation, str]:
    """A reset link for ``target`` (and its token, for the mail only); the password stays until
    :func:`finish_reset`, once the mail went out. Not for oneself (the link would be the only way back)."""
    if target.id == actor.id:
        raise LockOut(SELF_LOCKOUT)
    if not target.active:
        raise TeamError("Dit account is uitgeschakeld. Zet het eerst weer aan.")
    _check_rate(session, actor, now)
    _revoke_open(session, now, StaffInvitation.user_id == target.id, StaffInvitation.purpose == "reset")
    return _new_link(session, actor, now, RESET_HOURS, purpose="reset", school_id=target.school_id or "",
                     email=target.email, kind=target.kind, roles=target.roles or "", user_id=target.id)


def finish_reset(session: Session, actor: StaffUser, target: StaffUser, invitation: StaffInvitation) -> None:
    """After the reset link was mailed: the target's password is replaced by a random one nobody knows
    (unless the link was used already, in the seconds the mail took) and their sessions end."""
    session.refresh(invitation)
    if invitation.used_at is None:
        target.password_hash = security.hash_password(security.new_token())
        target.failed_logins = 0
        target.locked_until = None
    session.execute(sa.delete(StaffSession).where(StaffSession.user_id == target.id))
    record(session, actor, "staff_password_reset", school_id=target.school_id, target_id=target.id,
           old="wachtwoord", new="gewist; link gemaild", detail=f"link {invitation.id}")


def link_not_sent(session: Session, actor: StaffUser, invitation: StaffInvitation, now: dt.datetime) -> None:
    """The mail with ``invitation``'s link did not go out: nobody has the link, so it is withdrawn."""
    invitation.revoked_at = now
    record(session, actor, "staff_link_not_sent", school_id=invitation.school_id,
           target_id=invitation.user_id, detail=f"{invitation.email} ({invitation.purpose} {invitation.id})")


def _other_active_admins(session: Session, school_id: str, target_id: int) -> int:
    """Active admins of the school other than ``target_id``. All the school's active admins are locked
    for the rest of the transaction (PostgreSQL ``FOR UPDATE``, in id order, so two requests cannot
    deadlock): when two admins demote each other at the same moment, the second waits for the first and
    then sees it (tests/test_portal_team.py, on PostgreSQL)."""
    rows = session.execute(sa.select(StaffUser.id).where(
        StaffUser.school_id == school_id, StaffUser.kind == "admin", StaffUser.active.is_(True))
        .order_by(StaffUser.id).with_for_update()).scalars().all()
    return len([row for row in rows if row != target_id])


def _keep_an_admin(session: Session, actor: StaffUser, target: StaffUser) -> None:
    """:class:`TeamError` when ``target`` stops being an active admin and that locks out the actor or the
    school."""
    if target.id == actor.id:
        raise LockOut(SELF_LOCKOUT)
    if target.kind == "admin" and target.active and not _other_active_admins(session, target.school_id,
                                                                             target.id):
        raise LockOut(LAST_ADMIN)


def _stop_being_admin(session: Session, target: StaffUser, **values) -> None:
    """Change an active admin (``values``: kind, roles or active) in one UPDATE that only happens while
    another active admin of the school exists: on SQLite, where :func:`_other_active_admins` locks
    nothing and two requests may both have counted two admins, the second UPDATE finds none and changes
    nothing."""
    other = aliased(StaffUser)
    others = (sa.select(sa.func.count()).select_from(other)
              .where(other.school_id == target.school_id, other.kind == "admin", other.active.is_(True),
                     other.id != target.id).scalar_subquery())
    changed = session.execute(sa.update(StaffUser).where(StaffUser.id == target.id, others >= 1)
                              .values(**values).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise LockOut(LAST_ADMIN)
    session.expire(target)


def set_access(session: Session, actor: StaffUser, target: StaffUser, kind: str,
               roles: Sequence[str]) -> bool:
    """Give ``target`` the kind (staff or admin) and roles; False when nothing changed."""
    if kind not in SCHOOL_KINDS:
        raise TeamError("Kies medewerker of beheerder.")
    roles = clean_roles(roles)
    demoted = target.kind == "admin" and kind != "admin"
    if demoted:
        _keep_an_admin(session, actor, target)
    before = describe(target.kind, target.role_list)
    after = describe(kind, roles)
    if before == after:
        return False
    if demoted and target.active:
        _stop_being_admin(session, target, kind=kind, roles=",".join(roles))
    else:
        target.kind = kind
        target.roles = ",".join(roles)
    record(session, actor, "staff_access_changed", school_id=target.school_id, target_id=target.id,
           old=before, new=after)
    return True


def set_active(session: Session, actor: StaffUser, target: StaffUser, active: bool) -> bool:
    """Disable (ends every session of the account) or enable an account; False when it already was."""
    if target.active == active:
        return False
    if not active:
        _keep_an_admin(session, actor, target)
        if target.kind == "admin":
            _stop_being_admin(session, target, active=False)
        else:
            target.active = False
        session.execute(sa.delete(StaffSession).where(StaffSession.user_id == target.id))
    else:
        target.active = True
    record(session, actor, "staff_enabled" if active else "staff_disabled", school_id=target.school_id,
           target_id=target.id, old="actief" if not active else "uitgeschakeld",
           new="actief" if active else "uitgeschakeld")
    return True


def revoke(session: Session, actor: StaffUser, invitation: StaffInvitation, now: dt.datetime) -> bool:
    if invitation.used_at is not None or invitation.revoked_at is not None:
        return False
    invitation.revoked_at = now
    record(session, actor, "invitation_revoked", school_id=invitation.school_id,
           target_id=invitation.user_id, detail=f"{invitation.email} (uitnodiging {invitation.id})")
    return True


# ---------------------------------------------------------------------------- the link


def find(session: Session, token: str) -> Optional[StaffInvitation]:
    """The invitation of a link's token (any state), or None."""
    if not token or len(token) > 128:
        return None
    return session.execute(sa.select(StaffInvitation).where(
        StaffInvitation.token_hash == security.token_hash(token))).scalar_one_or_none()


def link_state(invitation: Optional[StaffInvitation], now: dt.datetime) -> str:
    """``ok``, or why the link does not work (a key of :data:`LINK_MESSAGES`)."""
    if invitation is None:
        return "unknown"
    if invitation.used_at is not None:
        return "used"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= now:
        return "expired"
    if invitation.purpose == "reset" and (invitation.user is None or not invitation.user.active):
        return "disabled"
    return "ok"


def accept(session: Session, invitation: StaffInvitation, *, name: str, password: str, repeat: str,
           now: dt.datetime) -> StaffUser:
    """Use the link: a new account (``invite``) or a new password (``reset``). :class:`TeamError` with
    the reason when the form or the link is not right; the link is claimed in one UPDATE."""
    state = link_state(invitation, now)
    if state != "ok":
        raise TeamError(LINK_MESSAGES[state])
    name = clean_name(name)
    if invitation.purpose == "invite" and not 0 < len(name) <= MAX_NAME_CHARS:
        raise TeamError(f"Vul je naam in (hoogstens {MAX_NAME_CHARS} tekens).")
    if password != repeat:
        raise TeamError("De twee wachtwoorden zijn niet gelijk.")
    try:
        password_hash = security.hash_password(password)
    except ValueError:
        raise TeamError(f"Een wachtwoord heeft minstens {security.MIN_PASSWORD_LENGTH} tekens.") from None
    if invitation.purpose == "invite" and session.execute(
            sa.select(StaffUser.id).where(StaffUser.email == invitation.email)).first():
        raise TeamError(LINK_MESSAGES["exists"])
    claimed = session.execute(
        sa.update(StaffInvitation).where(StaffInvitation.id == invitation.id,
                                         StaffInvitation.used_at.is_(None),
                                         StaffInvitation.revoked_at.is_(None),
                                         StaffInvitation.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        session.rollback()
        raise TeamError(LINK_MESSAGES["used"])
    if invitation.purpose == "invite":
        user = StaffUser(email=invitation.email, display_name=name, kind=invitation.kind,
                         school_id=invitation.school_id, roles=invitation.roles,
                         password_hash=password_hash, created_at=now)
        session.add(user)
        try:
            session.flush()
        except IntegrityError:  # an account for the address was made meanwhile
            session.rollback()
            raise TeamError(LINK_MESSAGES["exists"]) from None
        record(session, user, "invitation_accepted", school_id=user.school_id, target_id=user.id,
               new=describe(user.kind, user.role_list), detail=f"{user.email} (uitnodiging {invitation.id})")
    else:
        user = invitation.user
        user.password_hash = password_hash
        user.failed_logins = 0
        user.locked_until = None
        session.execute(sa.delete(StaffSession).where(StaffSession.user_id == user.id))
        record(session, user, "password_reset_done", school_id=user.school_id, target_id=user.id,
               detail=f"link {invitation.id}")
    session.execute(sa.update(StaffInvitation).where(StaffInvitation.id == invitation.id)
                    .values(user_id=user.id).execution_options(synchronize_session=False))
    return user


# ---------------------------------------------------------------------------- mail


def link_mail(settings: Settings, invitation: StaffInvitation, token: str,
              school_name: Optional[str]) -> EmailMessage:
    """The mail with the link: for whom, which school, how long it works. Nothing about parents."""
    link = f"{settings.portal_url.rstrip('/')}/invitation/{token}"
    school = school_name or f"school {invitation.school_id}"
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = invitation.email
    hours = round((invitation.expires_at - invitation.created_at).total_seconds() / 3600)
    if invitation.purpose == "invite":
        role = "beheerder" if invitation.kind == "admin" else "medewerker"
        message["Subject"] = f"Uitnodiging voor het Wegwijs-portaal ({school})"
        intro = (f"Je bent uitgenodigd als {role} in het portaal van Wegwijs, de chatassistent voor "
                 f"ouders van {school}.\nKies met deze link je naam en een wachtwoord:\n")
    else:
        message["Subject"] = f"Kies een nieuw wachtwoord voor het Wegwijs-portaal ({school})"
        intro = ("De beheerder van je school heeft je wachtwoord voor het Wegwijs-portaal gewist.\n"
                 "Kies met deze link een nieuw wachtwoord:\n")
    message.set_content(
        f"{intro}{link}\n\n"
        f"De link werkt één keer en {hours} uur lang. Een wachtwoord heeft minstens "
        f"{security.MIN_PASSWORD_LENGTH} tekens.\n"
        "Verwachtte je deze mail niet? Dan kun je hem negeren.\n")
    return message


def send_link(settings: Settings, invitation: StaffInvitation, token: str,
              school_name: Optional[str]) -> bool:
    """Mail the link through the portal's SMTP settings (``wegwijs.handovers.notify.send``)."""
    return notify.send(settings, link_mail(settings, invitation, token, school_name),
                       f"staff link {invitation.id}")


def widget_snippet(settings: Settings, school_id: str) -> str:
    """The one line a school puts on its website for the chat (``docs/widget.md``)."""
    return (f'<script src="{settings.public_widget_url.rstrip("/")}/widget.js" data-school-id="{school_id}" '
            f'data-server="{settings.public_rasa_url.rstrip("/")}" defer></script>')
