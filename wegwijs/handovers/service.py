"""Stored handovers: create, find (always within one school), assign, note, reply state, resolve.

Every read by staff goes through :func:`get_for_school`, which returns None for another school's
handover: the portal turns that into 404, so staff of school A cannot even learn that an id of
school B exists.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from wegwijs.db.models import (CONTACT_METHODS, HANDOVER_STATUSES, URGENCIES, AuditEntry, Handover,
                               HandoverNote, StaffUser, utcnow)
from wegwijs.handovers import limits

OPEN_STATUSES = ("new", "assigned", "in_progress")
MAX_QUESTION_CHARS = 2000
MAX_NOTE_CHARS = 4000


class HandoverError(ValueError):
    """A handover change that is not allowed (the message is Dutch, for staff)."""


def create_handover(session: Session, *, school_id: str, role: str, conversation_id: str,
                    question: str, contact_method: str, consent_text: str,
                    contact_detail: Optional[str] = None, topic: Optional[str] = None,
                    child_class: Optional[str] = None, age_band: Optional[str] = None,
                    urgency: str = "normal", client_network: Optional[str] = None,
                    caps: Optional[limits.Caps] = None) -> Handover:
    """Store a handover the parent consented to (consent time: now).

    ``caps``: refuse it with :class:`~wegwijs.handovers.limits.CapReached` when it would pass one of them;
    the caller's transaction must then be rolled back (``with session.begin():`` does). The handover is
    inserted first and counted after, in this transaction (see ``wegwijs.handovers.limits`` for why that
    is exact across processes)."""
    if contact_method not in CONTACT_METHODS:
        raise HandoverError(f"onbekende contactwijze {contact_method!r}")
    if urgency not in URGENCIES:
        raise HandoverError(f"onbekende urgentie {urgency!r}")
    if contact_method != "chat" and not contact_detail:
        raise HandoverError("een telefoonnummer of e-mailadres ontbreekt")
    if caps is not None:
        limits.lock(session)
    now = utcnow()
    handover = Handover(
        school_id=school_id, role=role, conversation_id=conversation_id,
        question=(question or "").strip()[:MAX_QUESTION_CHARS], contact_method=contact_method,
        contact_detail=contact_detail if contact_method != "chat" else None,
        consent_text=consent_text, consented_at=now, topic=topic, child_class=child_class,
        age_band=age_band, urgency=urgency, status="new", created_at=now, updated_at=now,
        client_network=client_network or None,
    )
    session.add(handover)
    session.flush()
    if caps is not None:
        cap = limits.passed(session, caps, conversation_id=conversation_id, school_id=school_id,
                            network=handover.client_network, now=now)
        if cap:
            raise limits.CapReached(cap)
    return handover


def cap_reached(session: Session, caps: limits.Caps, *, conversation_id: str, school_id: str,
                network: Optional[str]) -> Optional[str]:
    """Which cap one more handover would pass, before the parent writes their question (the cap is
    checked again, exactly, when the handover is made)."""
    return limits.passed(session, caps, conversation_id=conversation_id, school_id=school_id,
                         network=network, now=utcnow(), adding=1)


def list_for_school(session: Session, school_id: str, status: Optional[str] = None,
                    role: Optional[str] = None, urgency: Optional[str] = None) -> List[Handover]:
    """The school's handovers, most urgent and oldest open first; resolved ones last."""
    query = sa.select(Handover).where(Handover.school_id == school_id).options(
        selectinload(Handover.assignee))
    if status in HANDOVER_STATUSES:
        query = query.where(Handover.status == status)
    elif status == "open":
        query = query.where(Handover.status.in_(OPEN_STATUSES))
    if role:
        query = query.where(Handover.role == role)
    if urgency in URGENCIES:
        query = query.where(Handover.urgency == urgency)
    urgency_order = sa.case({"urgent": 0, "high": 1}, value=Handover.urgency, else_=2)
    resolved_last = sa.case({"resolved": 1}, value=Handover.status, else_=0)
    query = query.order_by(resolved_last, urgency_order, Handover.created_at)
    return list(session.execute(query).scalars())


def get_for_school(session: Session, school_id: Optional[str], public_id: str) -> Optional[Handover]:
    """The handover with this id if it belongs to ``school_id``; else None."""
    if not school_id or not public_id:
        return None
    return session.execute(
        sa.select(Handover).where(Handover.public_id == public_id, Handover.school_id == school_id)
        .options(selectinload(Handover.notes).selectinload(HandoverNote.author),
                 selectinload(Handover.assignee))
    ).scalar_one_or_none()


def open_handover_for_conversation(session: Session, conversation_id: str) -> Optional[Handover]:
    """The conversation's handover that is not resolved yet, if any."""
    return session.execute(
        sa.select(Handover).where(Handover.conversation_id == conversation_id,
                                  Handover.status.in_(OPEN_STATUSES))
        .order_by(Handover.created_at.desc())
    ).scalars().first()


def staff_of_school(session: Session, school_id: str) -> List[StaffUser]:
    """Active staff and admins of a school."""
    return list(session.execute(
        sa.select(StaffUser).where(StaffUser.school_id == school_id, StaffUser.active.is_(True))
        .order_by(StaffUser.display_name)).scalars())


def _require_open(handover: Handover) -> None:
    if handover.status == "resolved":
        raise HandoverError("Deze vraag is al afgehandeld.")


def assign(session: Session, handover: Handover, assignee: StaffUser) -> None:
    """Give the handover to a staff member of the same school."""
    _require_open(handover)
    if assignee.school_id != handover.school_id or not assignee.active:
        raise HandoverError("Die medewerker hoort niet bij deze school.")
    handover.assignee_id = assignee.id
    if handover.status == "new":
        handover.status = "assigned"
    handover.updated_at = utcnow()


def add_note(session: Session, handover: Handover, author: StaffUser, text: str) -> HandoverNote:
    """A note for colleagues (never shown to the parent)."""
    text = (text or "").strip()
    if not text:
        raise HandoverError("Een notitie mag niet leeg zijn.")
    if len(text) > MAX_NOTE_CHARS:
        raise HandoverError(f"Een notitie mag hoogstens {MAX_NOTE_CHARS} tekens hebben.")
    note = HandoverNote(handover_id=handover.id, author_id=author.id, text=text)
    session.add(note)
    handover.updated_at = utcnow()
    return note


def mark_in_progress(session: Session, handover: Handover, staff: StaffUser) -> None:
    """Staff answered: in progress, and assigned to them when nobody was."""
    _require_open(handover)
    if handover.assignee_id is None:
        handover.assignee_id = staff.id
    handover.status = "in_progress"
    handover.updated_at = utcnow()
    if handover.first_reply_at is None:
        handover.first_reply_at = handover.updated_at


def resolve(session: Session, handover: Handover, resolved_role: Optional[str] = None) -> None:
    """Close the handover; ``resolved_role`` is the role that really handled it (for retraining)."""
    _require_open(handover)
    handover.status = "resolved"
    handover.resolved_role = resolved_role or handover.role
    handover.resolved_at = utcnow()
    handover.updated_at = handover.resolved_at


def audit(session: Session, user: StaffUser, action: str, handover: Optional[Handover] = None) -> None:
    """One audit row: who did what to which conversation, when. Never any message text."""
    session.add(AuditEntry(
        user_id=user.id, school_id=handover.school_id if handover else user.school_id, action=action,
        handover_public_id=handover.public_id if handover else None,
        conversation_id=handover.conversation_id if handover else None))


def open_conversation_ids(session: Session, conversation_ids: Optional[Sequence[str]] = None) -> set:
    """Conversations with an unresolved handover (retention keeps them)."""
    query = sa.select(Handover.conversation_id).where(Handover.status.in_(OPEN_STATUSES))
    if conversation_ids is not None:
        query = query.where(Handover.conversation_id.in_(list(conversation_ids)))
    return {row for row in session.execute(query).scalars()}


def clear_content(connection: sa.engine.Connection, handover_ids: Sequence[int],
                  now: dt.datetime, resolve: bool = False) -> int:
    """Remove the personal content of these handovers (question, contact details, consent text, class,
    notes, the client network's hash) and mark them purged; ``resolve`` also closes them. Returns how many
    rows changed. Used by retention and by the parent's "Gesprek verwijderen"."""
    table, notes = Handover.__table__, HandoverNote.__table__
    changed = 0
    for start in range(0, len(handover_ids), 500):
        chunk = list(handover_ids[start:start + 500])
        connection.execute(sa.delete(notes).where(notes.c.handover_id.in_(chunk)))
        values: dict = dict(question=None, contact_detail=None, consent_text=None, child_class=None,
                            client_network=None, purged_at=now)
        if resolve:
            values.update(status="resolved", resolved_at=sa.func.coalesce(table.c.resolved_at, now),
                          updated_at=now)
        changed += connection.execute(sa.update(table).where(table.c.id.in_(chunk)).values(**values)).rowcount
    return changed


def counts_by_status(handovers: Iterable[Handover]) -> dict:
    """{status: count} for the inbox heading."""
    counts = {status: 0 for status in HANDOVER_STATUSES}
    for handover in handovers:
        counts[handover.status] = counts.get(handover.status, 0) + 1
    return counts
