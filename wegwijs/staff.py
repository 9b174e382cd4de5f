"""Staff accounts: add one (``wegwijs staff add``), list them, and the example schools' demo accounts."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wegwijs.db.models import STAFF_KINDS, StaffUser
from wegwijs.handovers.routing import SCHOOL_ROLES
from wegwijs.portal.security import hash_password
from wegwijs.schools import SchoolRegistry

_EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"


class StaffError(ValueError):
    """An account that cannot be made as asked."""


def add_staff(session: Session, registry: SchoolRegistry, *, email: str, name: str, kind: str,
              password: str, school_id: Optional[str] = None, roles: Sequence[str] = ()) -> StaffUser:
    """Create an account; staff and admins belong to one school, maintainers to none."""
    import re

    email = email.strip().lower()
    if not re.match(_EMAIL_SHAPE, email):
        raise StaffError(f"not an e-mail address: {email!r}")
    if kind not in STAFF_KINDS:
        raise StaffError(f"kind must be one of {', '.join(STAFF_KINDS)}")
    if kind == "maintainer":
        if school_id:
            raise StaffError("a maintainer belongs to no school")
    elif registry.get(school_id) is None:
        raise StaffError(f"unknown school {school_id!r}; known: {', '.join(registry.ids())}")
    unknown = [role for role in roles if role not in SCHOOL_ROLES]
    if unknown:
        raise StaffError(f"unknown role {unknown[0]!r}; known: {', '.join(SCHOOL_ROLES)}")
    if session.execute(sa.select(StaffUser.id).where(StaffUser.email == email)).first():
        raise StaffError(f"an account for {email} exists already")
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise StaffError(str(exc)) from exc
    user = StaffUser(email=email, display_name=name.strip() or email, kind=kind,
                     school_id=school_id if kind != "maintainer" else None,
                     roles=",".join(roles), password_hash=password_hash)
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class DemoLogin:
    school_id: str
    email: str
    password: str
    description: str


def demo_accounts(session: Session, registry: SchoolRegistry) -> List[DemoLogin]:
    """One admin per example school (``example: true`` in its profile), plus the school's care
    coordinator when named in the profile, and one maintainer (the review page for retraining). A real
    school never gets one, and without example schools there are none at all.

    Passwords are random and made once; accounts that exist are left alone (their password is not
    known any more, so they are not returned).
    """
    examples = [school for school in map(registry.get, registry.ids()) if school.example]
    if not examples:
        return []
    made: List[DemoLogin] = []
    for school in examples:
        school_id = school.id
        wanted = [("admin", f"admin@{school_id}.example", f"Beheer {school.name}", ())]
        for role in ("intern_begeleider", "zorgcoordinator", "school_social_worker"):
            contact = school.contacts.get(role)
            if contact and not contact.name.startswith(("de ", "het ")):
                wanted.append(("staff", f"{role}@{school_id}.example", contact.name, (role,)))
        for kind, email, name, roles in wanted:
            if session.execute(sa.select(StaffUser.id).where(StaffUser.email == email)).first():
                continue
            password = secrets.token_urlsafe(12)
            add_staff(session, registry, email=email, name=name, kind=kind, password=password,
                      school_id=school_id, roles=roles)
            made.append(DemoLogin(school_id, email, password, f"{kind}, {name}"))
    email = "onderhoud@wegwijs.example"
    if not session.execute(sa.select(StaffUser.id).where(StaffUser.email == email)).first():
        password = secrets.token_urlsafe(12)
        add_staff(session, registry, email=email, name="Onderhoud Wegwijs", kind="maintainer",
                  password=password, school_id=None)
        made.append(DemoLogin("-", email, password, "maintainer: review for retraining"))
    return made


def format_logins(logins: Iterable[DemoLogin]) -> str:
    return "\n".join(f"  {login.school_id:<14} {login.email:<40} {login.password}  ({login.description})"
                     for login in logins)
