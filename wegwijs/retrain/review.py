"""The maintainer's review of exported messages: groups of near-duplicates, and the verdicts.

A verdict is one of: accept the predicted intent, pick another intent (``relabel``), or discard. It
applies to a whole group of near-duplicates at once. The same verdicts can come from a YAML file
(``wegwijs retrain review --out file`` / ``--apply file``) or from the portal's review page.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from wegwijs.nlu_data import domain_intents
from wegwijs.db.models import Handover, ReviewItem, utcnow

#: Two groups are shown as one when their word sets overlap this much (Jaccard) …
NEAR = 0.8
#: … or their texts are this similar letter by letter (difflib ratio: typos, "n" for "een").
NEAR_TEXT = 0.85
VERDICTS = ("accept", "relabel", "discard")
#: Intents a maintainer may not give: Rasa's own label for "not understood".
NOT_TRAINABLE = ("nlu_fallback",)


class ReviewError(ValueError):
    """A verdict that cannot be applied (the message says why, in Dutch)."""


@dataclass
class Group:
    """Near-duplicate messages shown and judged together."""

    items: List[ReviewItem] = field(default_factory=list)

    @property
    def ids(self) -> List[int]:
        return [item.id for item in self.items]

    @property
    def text(self) -> str:
        """The message that stands for the group: the lowest confidence (the most informative)."""
        return self.items[0].text

    @property
    def predicted_intent(self) -> Optional[str]:
        counts: Dict[Optional[str], int] = {}
        for item in self.items:
            counts[item.predicted_intent] = counts.get(item.predicted_intent, 0) + 1
        return max(counts, key=lambda name: (counts[name], name or ""))

    @property
    def chosen_intent(self) -> Optional[str]:
        """The topic parents chose after "Bedoel je…?" for these messages (the most common), or None."""
        counts: Dict[str, int] = {}
        for item in self.items:
            if item.chosen_intent:
                counts[item.chosen_intent] = counts.get(item.chosen_intent, 0) + 1
        return max(counts, key=lambda name: (counts[name], name)) if counts else None

    @property
    def confidence(self) -> float:
        return min((item.confidence for item in self.items if item.confidence is not None), default=0.0)

    @property
    def fallback(self) -> bool:
        return any(item.fallback for item in self.items)

    @property
    def rated_down(self) -> bool:
        """A parent rated the answer to one of these messages 👎."""
        return any(item.rating == "down" for item in self.items)

    @property
    def rating_reasons(self) -> List[str]:
        return sorted({item.rating_reason for item in self.items if item.rating == "down" and item.rating_reason})

    @property
    def next_actions(self) -> List[str]:
        return sorted({item.next_action for item in self.items if item.next_action})

    @property
    def pii_types(self) -> List[str]:
        return sorted({kind for item in self.items for kind in item.pii_types.split(",") if kind})

    def order(self) -> Tuple[int, int, float]:
        """Rated 👎 by a parent first, then not understood (fallbacks), then the lowest confidence."""
        return (0 if self.rated_down else 1, 0 if self.fallback else 1, self.confidence)


def trainable_intents(home: Path) -> List[str]:
    """The intents a maintainer can choose: the domain's, in alphabetical order."""
    return sorted(name for name in domain_intents(home) if name not in NOT_TRAINABLE)


def similar(a: str, b: str) -> bool:
    """Near-duplicate group keys (see :func:`wegwijs.retrain.export.group_key`)."""
    words_a, words_b = set(a.split()), set(b.split())
    if words_a and words_b and len(words_a & words_b) / len(words_a | words_b) >= NEAR:
        return True
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return (matcher.real_quick_ratio() >= NEAR_TEXT and matcher.quick_ratio() >= NEAR_TEXT
            and matcher.ratio() >= NEAR_TEXT)


def pending_groups(session: Session, limit: int = 50, max_items: int = 5000) -> List[Group]:
    """Pending messages as groups of near-duplicates: rated 👎 first, then fallbacks, then the lowest
    confidence."""
    items = session.execute(
        sa.select(ReviewItem).where(ReviewItem.status == "pending")
        .order_by(sa.case((ReviewItem.rating == "down", 0), else_=1), ReviewItem.fallback.desc(),
                  ReviewItem.confidence.asc().nulls_first(),
                  ReviewItem.id).limit(max_items)).scalars().all()
    by_key: Dict[str, Group] = {}
    for item in items:
        by_key.setdefault(item.group_key, Group()).items.append(item)
    groups: List[Tuple[str, Group]] = []
    for key, group in by_key.items():
        for other_key, other in groups:
            if similar(key, other_key):
                other.items.extend(group.items)
                break
        else:
            groups.append((key, group))
    merged = [group for _, group in groups]
    for group in merged:
        group.items.sort(key=lambda item: (item.confidence if item.confidence is not None else -1,
                                           item.id))
    merged.sort(key=Group.order)
    return merged[:limit]


def counts(session: Session) -> Dict[str, int]:
    """How many review items there are per status."""
    rows = session.execute(sa.select(ReviewItem.status, sa.func.count()).group_by(ReviewItem.status))
    return {status: number for status, number in rows}


def decide(session: Session, item_ids: Sequence[int], verdict: str, intent: Optional[str],
           intents: Iterable[str], user_id: Optional[int] = None) -> int:
    """Apply one verdict to pending items (others are left alone). Returns how many changed."""
    allowed = set(intents)
    if verdict not in VERDICTS:
        raise ReviewError(f"Onbekend oordeel {verdict!r}: kies accept, relabel of discard.")
    items = session.execute(sa.select(ReviewItem).where(ReviewItem.id.in_(list(item_ids)),
                                                        ReviewItem.status == "pending")).scalars().all()
    if verdict == "relabel" and intent not in allowed:
        raise ReviewError(f"Onbekend intent {intent!r}. Kies een intent uit de lijst.")
    if verdict == "accept":
        wrong = sorted({item.predicted_intent or "(geen)" for item in items
                        if item.predicted_intent not in allowed})
        if wrong:
            raise ReviewError(f"Het voorspelde intent ({', '.join(wrong)}) kan geen trainingsvoorbeeld "
                              "worden. Kies een ander intent of gooi het bericht weg.")
    now = utcnow()
    for item in items:
        if verdict == "discard":
            item.status, item.intent = "discarded", None
        elif verdict == "accept":
            item.status, item.intent = "accepted", item.predicted_intent
        else:
            item.status = "accepted" if intent == item.predicted_intent else "relabelled"
            item.intent = intent
        item.decided_by, item.decided_at = user_id, now
    return len(items)


# ---------------------------------------------------------------- verdicts through a file
def write_review_file(session: Session, path: Path, limit: int = 500) -> int:
    """Write the pending groups to a YAML file a maintainer fills in; returns the number of groups."""
    entries = []
    for group in pending_groups(session, limit=limit):
        entries.append({
            "ids": group.ids,
            "text": group.text,
            "examples": [item.text for item in group.items[1:6]],
            "predicted": group.predicted_intent,
            "confidence": round(group.confidence, 3),
            "bot_did": group.next_actions,
            "verdict": "",
        })
    header = ("# Wegwijs review. Fill in 'verdict' for each group: accept (the predicted intent is right),\n"
              "# discard, or the name of the right intent. Leave it empty to decide later.\n"
              "# Then: wegwijs retrain review --apply <this file>\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + yaml.safe_dump({"groups": entries}, allow_unicode=True, sort_keys=False,
                                            width=100), encoding="utf-8")
    return len(entries)


def apply_review_file(session: Session, path: Path, intents: Iterable[str],
                      user_id: Optional[int] = None) -> Dict[str, int]:
    """Apply the verdicts of a review file: all of them, or none when one is wrong (ReviewError)."""
    allowed = sorted(set(intents))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ReviewError(f"Kan {path} niet lezen: {exc}") from exc
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, list):
        raise ReviewError(f"{path}: verwacht een lijst 'groups'.")
    plan: List[Tuple[List[int], str, Optional[str]]] = []
    problems = []
    for number, entry in enumerate(groups, start=1):
        if not isinstance(entry, dict):
            problems.append(f"groep {number}: geen geldige groep")
            continue
        verdict = str(entry.get("verdict") or "").strip()
        ids = entry.get("ids") or []
        if not verdict:
            continue
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            problems.append(f"groep {number}: 'ids' moet een lijst getallen zijn")
        elif verdict in ("accept", "discard"):
            plan.append((ids, verdict, None))
        elif verdict in allowed:
            plan.append((ids, "relabel", verdict))
        else:
            problems.append(f"groep {number} ({entry.get('text', '')!r}): onbekend intent {verdict!r}")
    if problems:
        raise ReviewError("Niets toegepast. Verbeter eerst:\n" + "\n".join(f"- {p}" for p in problems))
    done = {"accept": 0, "relabel": 0, "discard": 0}
    for ids, verdict, intent in plan:
        done[verdict] += decide(session, ids, verdict, intent, allowed, user_id)
    return done


# ---------------------------------------------------------------- routing examples
@dataclass(frozen=True)
class RoutingExample:
    """Handovers of one topic that the bot sent to ``routed`` and that ``handled_by`` resolved."""

    topic: Optional[str]
    routed: str
    handled_by: str
    count: int

    @property
    def agrees(self) -> bool:
        return self.routed == self.handled_by


def routing_examples(session: Session, since_days: int = 365) -> List[RoutingExample]:
    """What staff's resolutions say about routing: per topic, the role it went to and the role that
    really handled it (most frequent disagreements first)."""
    since = utcnow() - dt.timedelta(days=since_days)
    rows = session.execute(
        sa.select(Handover.topic, Handover.role, Handover.resolved_role, sa.func.count())
        .where(Handover.resolved_role.is_not(None), Handover.resolved_at >= since)
        .group_by(Handover.topic, Handover.role, Handover.resolved_role)).all()
    examples = [RoutingExample(topic, routed, handled, number) for topic, routed, handled, number in rows]
    return sorted(examples, key=lambda e: (e.agrees, -e.count, e.topic or ""))
