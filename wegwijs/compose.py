"""The whole text of an answer as a parent reads it, in three layers: the national answer (content), the
regional contacts (the school's people, the referral), and the school's own note on the topic; then the
source line. Used by the chat's actions (``actions/answers.py``) and by the portal's preview
(``wegwijs.schools_store.preview``), so a preview is exactly the chat's reply.
"""
from __future__ import annotations

from typing import Iterable, List, Optional

from wegwijs import ages
from wegwijs.content import Answer, ContentLibrary, Question, Source
from wegwijs.replies import for_language
from wegwijs.schools import School


def note_paragraph(school: Optional[School], topic: Optional[str], language: str = "nl") -> str:
    """The school's own note on ``topic``, marked as the school's text ("Van Basisschool De Regenboog:
    …"), or '' (no school, no note, or a language other than Dutch: notes are written in Dutch only)."""
    if school is None or not topic or language != "nl":
        return ""
    text = school.notes.get(topic)
    return f"Van {school.name}: {text}" if text else ""


def with_closing(library: ContentLibrary, paragraphs: List[str], school: Optional[School],
                 roles: Iterable[str], referral_topic: Optional[str], source: Optional[Source],
                 language: str = "nl", note_topic: Optional[str] = None) -> str:
    """The paragraphs, then the school's person for ``roles``, the referral for ``referral_topic`` (when
    given), the school's note on ``note_topic`` (when it has one) and the source."""
    say = for_language(language)
    paragraphs = list(paragraphs)
    who = say.contact_sentence(school, roles)
    if who:
        paragraphs.append(who)
    if referral_topic:
        paragraphs.append(say.referral_line(library.referrals, referral_topic))
    note = note_paragraph(school, note_topic, language)
    if note:
        paragraphs.append(note)
    if source is not None:
        paragraphs.append(say.source_line(source))
    return "\n\n".join(paragraphs)


def compose(library: ContentLibrary, answer: Answer, part: str, school: Optional[School],
            band: Optional[str] = None, language: str = "nl") -> str:
    """The full text of a topic's answer ("short" or "more"): the content, the school's person, the
    referral, the school's note and the source."""
    say = for_language(language)
    age_key = band if band in ages.BANDS else None
    body = library.render(answer.variant(part, school.type if school else None, age_key, language), language)
    paragraphs = []
    if answer.needs_age and age_key:
        paragraphs.append(say.assumed_age(say.AGE_LABELS[age_key]))
    paragraphs.append(body)
    return with_closing(library, paragraphs, school, answer.roles,
                        answer.intent if answer.refers_to_personal_help else None, answer.source, language,
                        note_topic=answer.intent)


def compose_question(library: ContentLibrary, question: Question, topic: Answer, school: Optional[School],
                     language: str = "nl") -> str:
    """The full text of a question-level answer (Dutch only: in English it says so first), with the
    school's note on the question's topic."""
    paragraphs = []
    if language != "nl":
        paragraphs.append("I have the answer to this question only in Dutch:")
    paragraphs.append(library.render(question.variant(school.type if school else None)))
    return with_closing(library, paragraphs, school, question.roles or topic.roles,
                        question.topic if question.refers_to_personal_help else None, question.source,
                        language, note_topic=question.topic)
