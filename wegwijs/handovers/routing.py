"""Which professional of THIS school gets a parent's question, and why (in Dutch, for the parent).

Inputs: the topic (the intent of the question, or the last topic answered), the school (its type and
the contacts in its profile), the child's class or age band, and the urgency. Handovers go to people
of the school itself, who read them in the staff portal; questions about the JGZ, the wijkteam or
leerplicht go to the school's care coordinator, who works with them in the ondersteuningsteam and
brings them in with the parent's consent. The parent still gets their direct details in the answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

from wegwijs.schools import ROLE_LABELS, Contact, School

#: Roles of the school itself: the only ones a handover goes to.
SCHOOL_ROLES = ("contact_person", "teacher", "mentor", "intern_begeleider", "zorgcoordinator",
                "school_social_worker")
#: The care coordinator by school type (po/so: intern begeleider; vo/vso: zorgcoördinator).
CARE_ROLE = {"po": "intern_begeleider", "so": "intern_begeleider", "vo": "zorgcoordinator",
             "vso": "zorgcoordinator"}
#: The first person for daily matters by school type.
FIRST_ROLE = {"po": "teacher", "so": "teacher", "vo": "mentor", "vso": "mentor"}

#: Topic → who first. "care" and "first" are resolved per school type.
TOPIC_ROLES: Dict[str, Tuple[str, ...]] = {
    "care_mentor": ("first", "care"),
    "care_where_to_start": ("first", "care"),
    "care_absence": ("first", "care"),
    "care_intern_begeleider": ("intern_begeleider", "care"),
    "care_zorgcoordinator": ("zorgcoordinator", "care"),
    "care_school_social_work": ("school_social_worker", "care"),
    "care_helplines": ("school_social_worker", "care"),
    "care_info_sharing": ("care",),
    "care_consent_by_age": ("care",),
}
URGENT_ROLES = ("school_social_worker", "care", "contact_person")
#: Topics about the child's place at school: the care coordinator, and urgency "high".
HIGH_URGENCY_TOPICS = ("care_child_at_home", "care_removal", "care_exemption", "care_compulsory_education")
TOPIC_REASONS = {
    "first": "kent je kind van dichtbij en is het eerste aanspreekpunt",
    "care": "regelt op school de extra ondersteuning en werkt samen met bijvoorbeeld de jeugdarts, "
            "het wijkteam en het samenwerkingsverband",
    "school_social_worker": "helpt ouders en kinderen bij zorgen thuis of over het welzijn van je kind",
    "contact_person": "zorgt dat je vraag bij de juiste persoon op school komt",
}
TOPIC_REASONS_EN = {
    "first": "knows your child closely and is the first person to talk to",
    "care": "arranges extra support at school and works together with, for example, the school doctor, "
            "the wijkteam (local social care team) and the samenwerkingsverband",
    "school_social_worker": "helps parents and children with worries at home or about your child's wellbeing",
    "contact_person": "makes sure your question reaches the right person at school",
}


@dataclass(frozen=True)
class Route:
    """The chosen person: role id, their contact in the profile, and why (Dutch)."""

    role: str
    contact: Contact
    reason: str
    urgency: str = "normal"
    topic_title: Optional[str] = None

    @property
    def label(self) -> str:
        return ROLE_LABELS[self.role]

    def who(self, language: str = "nl") -> str:
        """'de zorgcoördinator, Sanne Visser' or 'de mentor van je kind'; in English 'the zorgcoördinator
        (the school's care coordinator), Sanne Visser'."""
        name = self.contact.name
        if language == "en":
            from wegwijs.replies_en import ROLE_LABELS as EN_LABELS

            return name if name.startswith(("de ", "het ")) else f"{EN_LABELS[self.role]}, {name}"
        if name.startswith(("de ", "het ")):
            return name
        return f"{self.label}, {name}"

    def reason_in(self, language: str) -> str:
        """Why this person, in ``language``."""
        if language != "en":
            return self.reason
        return _reason_en(self.role, self.urgency, self.topic_title)


def urgency_of(intents: Sequence[str], topic: Optional[str]) -> str:
    """'urgent' when any message of the conversation was a safety message; 'high' for a child at home
    or removed from school; else 'normal'."""
    if any(str(intent).startswith("safety_") for intent in intents):
        return "urgent"
    if topic in HIGH_URGENCY_TOPICS:
        return "high"
    return "normal"


def _resolve(role: str, school: School) -> str:
    if role == "care":
        return CARE_ROLE[school.type]
    if role == "first":
        return FIRST_ROLE[school.type]
    return role


def candidates(topic: Optional[str], school: School, urgency: str,
               topic_roles: Sequence[str] = ()) -> Tuple[str, ...]:
    """Roles to try in order (before checking which ones this school has)."""
    if urgency == "urgent":
        wanted: Sequence[str] = URGENT_ROLES
    elif topic in TOPIC_ROLES:
        wanted = TOPIC_ROLES[topic]
    elif topic_roles:
        # The answer's own roles (content files), school roles only; others go to the care coordinator.
        wanted = [role if role in SCHOOL_ROLES else "care" for role in topic_roles]
    elif topic and topic.startswith(("care_", "rights_")):
        wanted = ("care",)
    else:
        wanted = ("first", "care")
    ordered = []
    for role in list(wanted) + ["care", "contact_person"]:
        resolved = _resolve(role, school)
        # the other type's coordinator, when the school names it so
        if resolved in ("intern_begeleider", "zorgcoordinator") and resolved not in school.contacts:
            resolved = "zorgcoordinator" if resolved == "intern_begeleider" else "intern_begeleider"
        if resolved not in ordered:
            ordered.append(resolved)
    return tuple(ordered)


def route(topic: Optional[str], school: School, urgency: str = "normal",
          topic_roles: Sequence[str] = (), topic_title: Optional[str] = None) -> Route:
    """The professional of ``school`` for this question (always someone: the contact person last)."""
    for role in candidates(topic, school, urgency, topic_roles):
        contact = school.contacts.get(role)
        if contact is None or role not in SCHOOL_ROLES:
            continue
        return Route(role, contact, _reason(role, school, urgency, topic_title), urgency, topic_title)
    contact = school.contacts["contact_person"]
    return Route("contact_person", contact, _reason("contact_person", school, urgency, topic_title),
                 urgency, topic_title)


def _reason(role: str, school: School, urgency: str, topic_title: Optional[str]) -> str:
    key = "care" if role in ("intern_begeleider", "zorgcoordinator") else \
        "first" if role in ("teacher", "mentor") else role
    what = TOPIC_REASONS.get(key, TOPIC_REASONS["contact_person"])
    label = ROLE_LABELS[role]
    if urgency == "urgent":
        return f"Je vraag is dringend. {label[0].upper() + label[1:]} {what}."
    about = f"Je vraag gaat over: {topic_title}. " if topic_title else ""
    return f"{about}{label[0].upper() + label[1:]} {what}."


def _reason_en(role: str, urgency: str, topic_title: Optional[str]) -> str:
    from wegwijs.replies_en import ROLE_LABELS as EN_LABELS

    key = "care" if role in ("intern_begeleider", "zorgcoordinator") else \
        "first" if role in ("teacher", "mentor") else role
    what = TOPIC_REASONS_EN.get(key, TOPIC_REASONS_EN["contact_person"])
    label = EN_LABELS[role]
    if urgency == "urgent":
        return f"Your question is urgent. {label[0].upper() + label[1:]} {what}."
    about = f"Your question is about: {topic_title}. " if topic_title else ""
    return f"{about}{label[0].upper() + label[1:]} {what}."
