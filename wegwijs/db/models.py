"""Our tables. Schema changes go through Alembic (``migrations/``); never ``create_all`` in production.

Minimal data: a handover keeps what the professional needs to answer (topic, the child's class or age
band, urgency, the parent's question and how to reach them) and the consent that allows it; no child's
name is asked. Transcripts stay in Rasa's tracker store (table ``events``) and are read from there.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import List, Optional

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

HANDOVER_STATUSES = ("new", "assigned", "in_progress", "resolved")
STATUS_LABELS = {"new": "nieuw", "assigned": "toegewezen", "in_progress": "in behandeling",
                 "resolved": "afgehandeld"}
URGENCIES = ("urgent", "high", "normal")
URGENCY_LABELS = {"urgent": "spoed", "high": "hoog", "normal": "normaal"}
CONTACT_METHODS = ("chat", "phone", "email")
CONTACT_LABELS = {"chat": "in de chat", "phone": "telefoon", "email": "e-mail"}
STAFF_KINDS = ("staff", "admin", "maintainer")


def utcnow() -> dt.datetime:
    """Now, in UTC without tzinfo (as stored)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def new_public_id() -> str:
    """An unguessable id for URLs."""
    return uuid.uuid4().hex


class StaffUser(Base):
    """A person who logs in to the portal: staff or admin of one school, or a maintainer (no school)."""

    __tablename__ = "wegwijs_staff_users"

    id = sa.Column(sa.Integer, primary_key=True)
    school_id = sa.Column(sa.String(64), nullable=True, index=True)
    email = sa.Column(sa.String(254), nullable=False, unique=True)
    display_name = sa.Column(sa.String(120), nullable=False)
    kind = sa.Column(sa.String(16), nullable=False, default="staff")
    #: contact roles this person answers for, comma separated (for example "zorgcoordinator")
    roles = sa.Column(sa.String(255), nullable=False, default="")
    password_hash = sa.Column(sa.String(255), nullable=False)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    failed_logins = sa.Column(sa.Integer, nullable=False, default=0)
    locked_until = sa.Column(sa.DateTime, nullable=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    last_login_at = sa.Column(sa.DateTime, nullable=True)

    @property
    def role_list(self) -> List[str]:
        return [role for role in (self.roles or "").split(",") if role]

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"

    @property
    def is_maintainer(self) -> bool:
        return self.kind == "maintainer"


class StaffSession(Base):
    """A logged-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "wegwijs_staff_sessions"

    id = sa.Column(sa.Integer, primary_key=True)
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("wegwijs_staff_users.id", ondelete="CASCADE"),
                        nullable=False, index=True)
    csrf_token = sa.Column(sa.String(64), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(sa.DateTime, nullable=False)

    user = relationship(StaffUser)


class Handover(Base):
    """A parent's question handed to a professional of the school, with the parent's consent."""

    __tablename__ = "wegwijs_handovers"

    id = sa.Column(sa.Integer, primary_key=True)
    public_id = sa.Column(sa.String(32), nullable=False, unique=True, default=new_public_id)
    school_id = sa.Column(sa.String(64), nullable=False, index=True)
    role = sa.Column(sa.String(32), nullable=False)
    assignee_id = sa.Column(sa.Integer, sa.ForeignKey("wegwijs_staff_users.id", ondelete="SET NULL"),
                            nullable=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    topic = sa.Column(sa.String(64), nullable=True)
    child_class = sa.Column(sa.String(40), nullable=True)
    age_band = sa.Column(sa.String(20), nullable=True)
    urgency = sa.Column(sa.String(10), nullable=False, default="normal")
    question = sa.Column(sa.Text, nullable=True)
    contact_method = sa.Column(sa.String(10), nullable=False, default="chat")
    contact_detail = sa.Column(sa.String(254), nullable=True)
    consent_text = sa.Column(sa.Text, nullable=True)
    consented_at = sa.Column(sa.DateTime, nullable=False)
    status = sa.Column(sa.String(16), nullable=False, default="new", index=True)
    resolved_role = sa.Column(sa.String(32), nullable=True)
    notified_at = sa.Column(sa.DateTime, nullable=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    resolved_at = sa.Column(sa.DateTime, nullable=True)
    #: set when retention removed the content (question, contact, notes, transcript)
    purged_at = sa.Column(sa.DateTime, nullable=True)
    #: the chat channel's keyed hash of the parent's network (IPv4 address or IPv6 /64), for the cap per
    #: network (``wegwijs.handovers.limits``); cleared with the content
    client_network = sa.Column(sa.String(32), nullable=True)
    #: the school's address a bundled notification mail about this handover waits for (its window is
    #: still running: ``wegwijs.handovers.batching``); NULL when none waits
    notify_to = sa.Column(sa.String(254), nullable=True, index=True)
    #: when staff first answered the parent in the chat (Insights: time to first reply)
    first_reply_at = sa.Column(sa.DateTime, nullable=True)

    __table_args__ = (
        sa.Index("ix_wegwijs_handovers_client_network_created_at", "client_network", "created_at"),
        sa.Index("ix_wegwijs_handovers_created_at", "created_at"),
    )

    assignee = relationship(StaffUser)
    notes = relationship("HandoverNote", back_populates="handover", cascade="all, delete-orphan",
                         order_by="HandoverNote.created_at")


class MailWindow(Base):
    """When the last notification mail went to a school's address: the next one waits until
    ``WEGWIJS_NOTIFY_WINDOW_SECONDS`` later and bundles the handovers of the window
    (``wegwijs.handovers.batching``)."""

    __tablename__ = "wegwijs_mail_windows"

    address = sa.Column(sa.String(254), primary_key=True)
    sent_at = sa.Column(sa.DateTime, nullable=False)


class HandoverNote(Base):
    """A staff note on a handover (not shown to the parent)."""

    __tablename__ = "wegwijs_handover_notes"

    id = sa.Column(sa.Integer, primary_key=True)
    handover_id = sa.Column(sa.Integer, sa.ForeignKey("wegwijs_handovers.id", ondelete="CASCADE"),
                            nullable=False, index=True)
    author_id = sa.Column(sa.Integer, sa.ForeignKey("wegwijs_staff_users.id", ondelete="SET NULL"),
                          nullable=True)
    text = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    handover = relationship(Handover, back_populates="notes")
    author = relationship(StaffUser)


class AuditEntry(Base):
    """One staff read of a conversation (or another sensitive action): who, when, which. No message text.

    A change to a school (``wegwijs.schools_store``) also keeps the old and the new value (JSON) of what
    changed: the school's own profile, holiday or note, never anything a parent wrote.
    """

    __tablename__ = "wegwijs_audit_log"

    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    user_id = sa.Column(sa.Integer, nullable=True)
    school_id = sa.Column(sa.String(64), nullable=True)
    action = sa.Column(sa.String(32), nullable=False)
    handover_public_id = sa.Column(sa.String(32), nullable=True)
    conversation_id = sa.Column(sa.String(255), nullable=True)
    #: what a refused request asked for (action "denied"): method and path, for example "GET /audit";
    #: for a school change, what changed (for example "profile: contacts, name" or "note care_opp")
    detail = sa.Column(sa.String(255), nullable=True)
    #: the staff account a change in the portal's team page was about (issue 16)
    target_user_id = sa.Column(sa.Integer, nullable=True)
    #: a changed value before and after it: a school change's as JSON, a staff account's as
    #: "staff: mentor" -> "admin: mentor,zorgcoordinator" (NULL when there was none)
    old_value = sa.Column(sa.Text, nullable=True)
    new_value = sa.Column(sa.Text, nullable=True)


INVITATION_PURPOSES = ("invite", "reset")


class StaffInvitation(Base):
    """A one-time link sent by mail: ``invite`` makes a new account of a school (the invitee chooses their
    name and password), ``reset`` sets a new password on an existing account (``user_id``). Only the
    SHA-256 of the token is stored; a link works once (``used_at``) and until ``expires_at``
    (``wegwijs.invitations``)."""

    __tablename__ = "wegwijs_staff_invitations"

    id = sa.Column(sa.Integer, primary_key=True)
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    purpose = sa.Column(sa.String(16), nullable=False, default="invite")
    school_id = sa.Column(sa.String(64), nullable=False, index=True)
    email = sa.Column(sa.String(254), nullable=False, index=True)
    kind = sa.Column(sa.String(16), nullable=False, default="staff")
    roles = sa.Column(sa.String(255), nullable=False, default="")
    user_id = sa.Column(sa.Integer, sa.ForeignKey("wegwijs_staff_users.id", ondelete="CASCADE"),
                        nullable=True)
    invited_by = sa.Column(sa.Integer, sa.ForeignKey("wegwijs_staff_users.id", ondelete="SET NULL"),
                           nullable=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    expires_at = sa.Column(sa.DateTime, nullable=False)
    used_at = sa.Column(sa.DateTime, nullable=True)
    revoked_at = sa.Column(sa.DateTime, nullable=True)

    user = relationship(StaffUser, foreign_keys=[user_id])
    inviter = relationship(StaffUser, foreign_keys=[invited_by])

    @property
    def role_list(self) -> List[str]:
        return [role for role in (self.roles or "").split(",") if role]


class LoginThrottle(Base):
    """Login attempts from one client address in its current minute (the portal's login throttle).

    The address is never stored: ``key_hash`` is an HMAC of it with the portal secret
    (``wegwijs.portal.security.address_key``). Rows of past minutes are deleted as new addresses come.
    """

    __tablename__ = "wegwijs_login_throttle"

    key_hash = sa.Column(sa.String(64), primary_key=True)
    window_start = sa.Column(sa.DateTime, nullable=False, index=True)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)


REVIEW_STATUSES = ("pending", "accepted", "relabelled", "discarded", "written", "refused")
REVIEW_LABELS = {"pending": "te beoordelen", "accepted": "goedgekeurd", "relabelled": "ander intent",
                 "discarded": "weggegooid", "written": "in de trainingsdata",
                 "refused": "geweigerd door de poort"}


class RetrainExport(Base):
    """One run of ``wegwijs retrain export``: which tracker events it read (the next run starts after
    ``last_event_id``)."""

    __tablename__ = "wegwijs_retrain_exports"

    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    last_event_id = sa.Column(sa.Integer, nullable=False)
    exported = sa.Column(sa.Integer, nullable=False, default=0)
    skipped = sa.Column(sa.Integer, nullable=False, default=0)


class ScrubbedConversation(Base):
    """A conversation whose stored messages (Rasa's ``events``) had their personal data replaced by
    placeholders, up to ``last_event_id`` (``wegwijs.retention.scrub_idle_conversations``)."""

    __tablename__ = "wegwijs_scrubbed_conversations"

    sender_id = sa.Column(sa.String(255), primary_key=True)
    last_event_id = sa.Column(sa.Integer, nullable=False)
    scrubbed_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class ReviewItem(Base):
    """A parent's message from a conversation, PII already scrubbed, waiting for a maintainer's verdict.

    Never holds raw text: ``text`` is the output of ``wegwijs.pii.scrub`` and ``pii_types`` says which
    placeholders it has. ``conversation_id`` (the widget's random id) only serves to write the
    conversation as a test story while Rasa still has it.
    """

    __tablename__ = "wegwijs_review_items"

    id = sa.Column(sa.Integer, primary_key=True)
    export_id = sa.Column(sa.Integer, sa.ForeignKey("wegwijs_retrain_exports.id", ondelete="CASCADE"),
                          nullable=False, index=True)
    event_id = sa.Column(sa.Integer, nullable=False, unique=True)
    conversation_id = sa.Column(sa.String(255), nullable=True, index=True)
    school_id = sa.Column(sa.String(64), nullable=True)
    text = sa.Column(sa.Text, nullable=False)
    pii_types = sa.Column(sa.String(120), nullable=False, default="")
    predicted_intent = sa.Column(sa.String(80), nullable=True)
    confidence = sa.Column(sa.Float, nullable=True)
    next_action = sa.Column(sa.String(80), nullable=True)
    fallback = sa.Column(sa.Boolean, nullable=False, default=False)
    #: when Wegwijs was unsure and asked "Bedoel je…?", the topic the parent then chose with a button
    chosen_intent = sa.Column(sa.String(80), nullable=True)
    #: the parent's latest rating of the answer this message got ("down" only; wegwijs.feedback) and its
    #: reason key: such messages are reviewed first
    rating = sa.Column(sa.String(8), nullable=True)
    rating_reason = sa.Column(sa.String(20), nullable=True)
    group_key = sa.Column(sa.String(255), nullable=False, index=True)
    status = sa.Column(sa.String(16), nullable=False, default="pending", index=True)
    intent = sa.Column(sa.String(80), nullable=True)
    decided_by = sa.Column(sa.Integer, sa.ForeignKey("wegwijs_staff_users.id", ondelete="SET NULL"),
                           nullable=True)
    decided_at = sa.Column(sa.DateTime, nullable=True)
    round_id = sa.Column(sa.Integer, sa.ForeignKey("wegwijs_retrain_rounds.id", ondelete="SET NULL"),
                         nullable=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class InsightConversation(Base):
    """One conversation summed up for the Insights page (``wegwijs.insights``): counts only, never text.

    Computed from Rasa's ``events`` (markers.yml and structured event fields) and deleted with the
    conversation (retention, "Gesprek verwijderen"), so its figures go with it.
    """

    __tablename__ = "wegwijs_insight_conversations"
    __table_args__ = (sa.Index("ix_insight_conversations_school_week", "school_id", "week"),
                      sa.Index("ix_insight_conversations_week", "week"))

    conversation_id = sa.Column(sa.String(255), primary_key=True)
    school_id = sa.Column(sa.String(64), nullable=True)
    started_at = sa.Column(sa.DateTime, nullable=False)
    #: the Monday of the week (Dutch time) the conversation started
    week = sa.Column(sa.Date, nullable=False)
    parent_messages = sa.Column(sa.Integer, nullable=False, default=0)
    not_understood = sa.Column(sa.Integer, nullable=False, default=0)
    choices_offered = sa.Column(sa.Integer, nullable=False, default=0)
    choices_taken = sa.Column(sa.Integer, nullable=False, default=0)
    safety_replies = sa.Column(sa.Integer, nullable=False, default=0)
    handover_forms = sa.Column(sa.Integer, nullable=False, default=0)
    last_event_id = sa.Column(sa.Integer, nullable=False)


class InsightTopic(Base):
    """How often a conversation asked about a topic (the topic's intent)."""

    __tablename__ = "wegwijs_insight_topics"
    __table_args__ = (sa.Index("ix_insight_topics_school_week", "school_id", "week"),
                      sa.Index("ix_insight_topics_week", "week"))

    conversation_id = sa.Column(sa.String(255), primary_key=True)
    topic = sa.Column(sa.String(80), primary_key=True)
    school_id = sa.Column(sa.String(64), nullable=True)
    week = sa.Column(sa.Date, nullable=False)
    asked = sa.Column(sa.Integer, nullable=False, default=0)


class InsightRating(Base):
    """A parent's latest rating of one answer in one conversation (``wegwijs.feedback.latest``)."""

    __tablename__ = "wegwijs_insight_ratings"
    __table_args__ = (sa.Index("ix_insight_ratings_school_week", "school_id", "week"),
                      sa.Index("ix_insight_ratings_week", "week"),
                      sa.Index("ix_insight_ratings_reason", "reason"))

    conversation_id = sa.Column(sa.String(255), primary_key=True)
    answer_id = sa.Column(sa.String(160), primary_key=True)
    topic = sa.Column(sa.String(80), nullable=False)
    school_id = sa.Column(sa.String(64), nullable=True)
    week = sa.Column(sa.Date, nullable=False)
    rating = sa.Column(sa.String(8), nullable=False)
    reason = sa.Column(sa.String(20), nullable=True)
    rated_at = sa.Column(sa.DateTime, nullable=False)


class InsightState(Base):
    """Up to which tracker event the insight tables are computed (one row, id 1)."""

    __tablename__ = "wegwijs_insight_state"

    id = sa.Column(sa.Integer, primary_key=True)
    last_event_id = sa.Column(sa.Integer, nullable=False, default=0)
    refreshed_at = sa.Column(sa.DateTime, nullable=True)


class RetrainRound(Base):
    """One ``wegwijs retrain round``: examples written, candidate trained and evaluated, and the gate's
    decision (``promoted``, ``refused`` or ``failed``) with the reason."""

    __tablename__ = "wegwijs_retrain_rounds"

    id = sa.Column(sa.Integer, primary_key=True)
    started_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    finished_at = sa.Column(sa.DateTime, nullable=True)
    examples = sa.Column(sa.Integer, nullable=False, default=0)
    decision = sa.Column(sa.String(16), nullable=True)
    reason = sa.Column(sa.Text, nullable=True)
    current_macro_f1 = sa.Column(sa.Float, nullable=True)
    candidate_macro_f1 = sa.Column(sa.Float, nullable=True)
    report_path = sa.Column(sa.String(255), nullable=True)


def optional(value: Optional[str]) -> Optional[str]:
    """Empty strings stored as NULL."""
    return value or None


class TrackerSnapshot(Base):
    """Where a long conversation's state stands, so Rasa need not read the whole conversation per message.

    ``wegwijs.tracker_store.WegwijsTrackerStore`` keeps one row per conversation (``sender_id``, Rasa's
    conversation id) once it is longer than the store's window: the slots, the active form and whether
    staff paused Wegwijs, as they were after event ``last_event_id`` of the session that started with
    event ``session_event_id``. The events themselves stay in Rasa's ``events`` table; this row is deleted
    with them (retention, "Gesprek verwijderen").
    """

    __tablename__ = "wegwijs_tracker_snapshots"

    sender_id = sa.Column(sa.String(255), primary_key=True)
    session_event_id = sa.Column(sa.Integer, nullable=False)
    last_event_id = sa.Column(sa.Integer, nullable=False)
    state = sa.Column(sa.Text, nullable=False)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class SchoolRecord(Base):
    """A school's profile (``wegwijs.schools.School`` without its holidays and notes, as JSON), validated
    by the same rules as the YAML files before it is stored (``wegwijs.schools_store``). Every change to
    the school, its holidays or its notes raises ``version``: the chat compares it per message."""

    __tablename__ = "wegwijs_schools"

    id = sa.Column(sa.String(64), primary_key=True)
    profile = sa.Column(sa.Text, nullable=False)
    version = sa.Column(sa.Integer, nullable=False, default=1)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class SchoolHoliday(Base):
    """A holiday or closed day(s) of a school: ``start_date`` to ``end_date``, both included."""

    __tablename__ = "wegwijs_school_holidays"

    id = sa.Column(sa.Integer, primary_key=True)
    school_id = sa.Column(sa.String(64), sa.ForeignKey("wegwijs_schools.id", ondelete="CASCADE"),
                          nullable=False, index=True)
    start_date = sa.Column(sa.Date, nullable=False)
    end_date = sa.Column(sa.Date, nullable=False)
    label = sa.Column(sa.String(60), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class SchoolNote(Base):
    """A school's own text on one topic (a content intent), shown after the national answer (Dutch)."""

    __tablename__ = "wegwijs_school_notes"

    id = sa.Column(sa.Integer, primary_key=True)
    school_id = sa.Column(sa.String(64), sa.ForeignKey("wegwijs_schools.id", ondelete="CASCADE"),
                          nullable=False, index=True)
    topic = sa.Column(sa.String(80), nullable=False)
    text = sa.Column(sa.Text, nullable=False)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("school_id", "topic", name="uq_wegwijs_school_notes_school_topic"),)
