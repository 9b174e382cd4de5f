"""Recognise crisis messages with rules, so that the help line comes first even where NLU is unsure.

The trained classifier recognises safety intents too; this layer is the safety net under it. It runs
inside the NLU pipeline (:mod:`wegwijs.nlp.safety_override`) and overrides the predicted intent when it
fires. It is deliberately on the side of caution: a false alarm costs a parent one extra message with
help lines, a miss can cost much more. Words are compared after folding (lower case, no accents,
repeated letters squeezed) and key words also with one or two typing errors.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Dict, Iterable, List, Optional, Pattern, Tuple

ACUTE_DANGER = "acute_danger"
SUICIDE = "suicide"
CHILD_USER = "child_user"
CHILD_ABUSE = "child_abuse"
DOMESTIC_VIOLENCE = "domestic_violence"
#: Most urgent first: when several kinds fire, the first one here wins.
PRIORITY = (ACUTE_DANGER, SUICIDE, CHILD_USER, CHILD_ABUSE, DOMESTIC_VIOLENCE)

_FAMILY = (r"(man|vrouw|partner|vriend|vriendin|ex|exman|exvrouw|vader|moeder|stiefvader|stiefmoeder|"
           r"stiefpa|stiefma|pa|ma|papa|mama|pap|mam|broer|zus|oom|opa|schoonvader|schoonmoeder|"
           r"ouders|vent|echtgenoot|echtgenote)")
_MY = r"(mijn|m'n|mn|me|onze|ons|zijn|haar|z'n|zn|d'r|der)"
_KID = r"(kind|kindje|kinderen|kids|zoon|zoontje|dochter|dochtertje|baby|jongen|meisje|puber|tiener)"
_HURT = (r"(slaat|sloeg|slaan|geslagen|schopt|schopte|geschopt|mishandelt|mishandeld|mishandelde|"
         r"mishandelen|stompt|gestompt|duwt|wurgt|gewurgd|knijpt|bedreigt|bedreigd|klappen geeft|"
         r"klappen geven|slaag geeft|slaag geven)")
_SELF_HARM = (r"(snijdt|snijden|sneed|krast|krassen|kraste|bekrast|verwondt|beschadigt|pijn ?doet|"
              r"iets aan ?doet|iets aan ?doen|aandoet|aan doet|ophangen|ophangt)")
_SCHOOL_CONTEXT = re.compile(
    r"\b(klasgeno\w*|klasgenoot|medeleerling\w*|leerling\w*|op school|in de klas|pest\w*|gepest|"
    r"schoolplein|in de pauze|juf|meester|docent\w*|kind uit (de|zijn|haar) klas|jongen uit|meisje uit)\b"
)
_CHILD_MARKERS = re.compile(
    r"\b(ik ben (acht|negen|tien|elf|twaalf|dertien|veertien|vijftien|zestien|zeventien)"
    r"( jaar| jr| jaar oud)?\b|ik zit in (groep|klas|de brugklas|brugklas|de \d|het \d|havo|vwo|vmbo|mavo)|"
    r"ik ben (een|nog een) (kind|meisje|jongen|leerling|tiener|puber)|"
    r"mijn (juf|meester|mentor) (zegt|weet|mag)|ik mag (niet|nooit) van mijn (ouders|vader|moeder|papa|mama)|"
    r"mijn (ouders|vader|moeder|papa|mama|stiefvader|stiefmoeder) (slaat|slaan|schopt|schoppen|"
    r"mishandelt|mishandelen|scheldt|schelden|drinkt|drinken) (mij|me)\b)"
)
_CHILD_AGE = re.compile(r"(^|\bik )ben (\d{1,2})( jaar| jr|\b)")

def _compile(source: str) -> Pattern[str]:
    """Compile a pattern that also accepts the common d/dt spelling error ("snijd" for "snijdt")."""
    return re.compile(re.sub(r"(?<=[a-z])dt(?=[|) \\]|$)", "dt?", source))


_PATTERNS: Dict[str, Tuple[Pattern[str], ...]] = {
    ACUTE_DANGER: tuple(_compile(p) for p in (
        r"\b(levens)?gevaar\b.{0,30}\b(nu|nou|hier|op dit moment|meteen)\b",
        r"\b(nu|nou|op dit moment|op het moment|vannacht|vanavond)\b.{0,40}\b(in gevaar|levensgevaar|"
        r"met een mes|met een wapen|met een pistool|vermoord|dood ?maken|aan het slaan|slaat hij|slaat ze)",
        r"\bin levensgevaar\b",
        r"\b(bedreigt|bedreigd|dreigt)\b.{0,30}\b(mes|wapen|pistool|geweer|vermoorden|dood ?te maken|"
        r"dood ?maken|af te maken)",
        r"\b(mes|wapen|pistool|geweer)\b.{0,30}\b(bedreig|dreig|steken|schieten|op (ons|mij|me|haar|hem) af)",
        r"\b(wil|gaat|zal|ging)\b.{0,20}\b(mij|me|ons|haar|hem|de kinderen|mijn kind\w*)\b.{0,10}"
        r"\b(vermoorden|dood ?maken|doodmaken|afmaken|neersteken)",
        r"\bhelp (nu|snel|dringend|alsjeblieft nu)\b|\bbel (de )?politie\b|\bsnel hulp nodig\b",
        r"\b(staat|staan) (nu )?(voor|aan) de deur\b.{0,40}\b(dreig|bang|slaan|mes|binnen)",
        r"\b(ik|we|wij) (ben|zijn) (nu )?(opgesloten|ingesloten)\b",
        r"\b(kind|zoon|dochter)\b.{0,20}\b(is|wordt) (nu )?(ontvoerd|meegenomen door)",
        r"\b(ben|zijn|is|zit|zitten) (\w+ )?(nu )?in (groot |levens)?gevaar\b",
        r"\bvermoord(en|t)?\b|\b(dood|af) ?(te )?maken\b.{0,20}\b(zegt|dreigt|gaat|wil)\b",
        r"\b(heeft|hebben|met|draagt|pakt|pakte|zwaait) (een |zijn |haar |z'n )?"
        r"(mes|messen|wapen|pistool|geweer|vuurwapen)\b(?! voor (de )?kook)",
        r"\b(keel|nek) (dicht|dichtknijpt|dichtgeknepen|dicht knijpt)|\bwurg\w*|\bgewurgd\b",
        r"\b(deur|raam) (in|kapot) ?(te )?(trappen|trapt|slaan|slaat)\b|\bopgesloten\b",
        r"\bin elkaar (\w+ )?(geslagen|slaan|slaat|getrapt|trappen)\b",
    )),
    SUICIDE: tuple(_compile(p) for p in (
        r"\bzelf ?moord|\bzelfdoding|\bsuicid|\bsuicide\b|\bsuicidaal",
        r"\b(wil|wilt|wilde|wou|willen)\b( \w+){0,3} dood\b(?! van)",
        r"\bdood (wil|wilt|willen|gaan)\b(?! van)|\bliever dood\b",
        r"\bniet meer (willen |wil |wilt )?leven\b|\b(wil|wilt|willen) niet meer leven\b",
        r"\b(wil|wilt|willen)\b( \w+){0,2} niet meer (zijn|bestaan)\b|\ber niet meer (willen )?zijn\b",
        r"\beinde? (aan|maken aan) " + _MY + r"? ?(eigen )?leven\b|\ber een (eind|einde) aan maken\b",
        r"\b(leven|zichzelf|zich) (be)?eindigen\b|\bzichzelf (van het leven )?beroven\b",
        r"\b(zichzelf|zich|mezelf|mijzelf)\b.{0,15}\b" + _SELF_HARM,
        r"\b" + _SELF_HARM + r"\b.{0,15}\b(zichzelf|zich|mezelf|mijzelf)\b",
        r"\bzelfbeschadig\w*|\bzelf ?verwond\w*|\b(krast|snijdt|kraste|sneed) in (zijn|haar|z'n|d'r|mijn) "
        r"(arm|armen|pols|polsen|benen|been)",
        r"\bniemand\b.{0,20}\b(missen|merken)\b|\b(beter|fijner) (af )?(zonder|als) (mij|haar|hem)\b"
        r".{0,25}\b(er niet|niet meer|dood|weg)\b",
        r"\b(van|voor) (een |de )?(flat|brug|dak|trein)\b.{0,10}\b(springen|af ?springen|spring)",
        r"\b(pillen|medicijnen)\b.{0,30}\b(innemen|slikken|ingenomen|geslikt)\b.{0,30}\b(dood|eind|niet meer)",
        r"\b(geen zin|geen reden) (meer )?(om )?(te|in) leven\b|\bhet leven (heeft|is) geen zin\b",
        r"\b(afscheids ?brief|afscheidsbrief)\b",
    )),
    CHILD_ABUSE: tuple(_compile(p) for p in (
        r"\b(seksueel )?misbruik\w*|\baanrand\w*|\baangerand\b|\bverkracht\w*|\bincest\b",
        r"\bkinder ?mishandeling\b|\bkinder ?misbruik\b|\bverwaarloos\w*",
        r"\b(ongewenst|ongepast) (aan ?geraakt|aangeraakt|aanraken|aanraakt)\b",
        r"\b(betast|betasten|betastte)\b|\baan (haar|hem|me|mij|mijn) (lijf|lichaam|kruis|borsten|piemel)",
        r"\b(zit|zat|zitten) (steeds |vaak |altijd )?aan (haar|hem|mijn) (lijf|lichaam|kruis|borsten)",
        r"\bblauwe plekken\b|\bbrandwonden\b.{0,30}\b(kind|zoon|dochter|baby)",
        r"\b" + _HURT + r"\b.{0,15}\b" + _MY + r" " + _KID + r"\b",
        r"\b" + _MY + r" " + _KID + r"\b.{0,30}\b(wordt|werd|is|worden) (\w+ ){0,2}"
        r"(geslagen|mishandeld|misbruikt|geschopt|verwaarloosd|opgesloten)",
        r"\b(krijgt|krijgen|kregen|kreeg) (thuis )?(geen|nooit|bijna geen) (eten|te eten)\b",
        r"\bnaaktfoto\w*|\bnaakt ?foto\w*|\bsexting\b|\bgrooming\b|\bseksfoto\w*",
        r"\b(aan|in) (haar|zijn|z'n|d'r|mijn|m'n|mn) (plassertje|plasser|piemel|piemeltje|vagina|kruis|"
        r"borsten|billen|geslachtsdeel|onderkant)\b",
        r"\b(rare|vieze|enge) dingen (bij|met) (me|mij|haar|hem)\b",
        r"\b" + _FAMILY + r"\b.{0,20}\b(haar|hem|me|mij) ('s nachts|snachts|'s avonds) pijn",
        r"\bbrandwond\w*.{0,40}\b(sigaret|sigaretten|strijkijzer)|\b(sigaret|sigaretten) .{0,20}uitgedrukt",
        r"\bonder de (blauwe )?plekken\b|\bvol (met )?(blauwe )?plekken\b",
        r"\b(zonder|geen) eten\b.{0,40}\b(alleen|dagen|thuis)\b|\b(alleen|dagen)\b.{0,40}\bzonder eten\b",
    )),
    DOMESTIC_VIOLENCE: tuple(_compile(p) for p in (
        r"\bhuiselijk geweld\b|\bgeweld (thuis|in huis|in (ons|het) gezin)\b|\bthuis (is|wordt|gebeurt) "
        r"(er )?(\w+ )?geweld\b",
        r"\b" + _MY + r" " + _FAMILY + r"\b.{0,20}\b" + _HURT + r"\b",
        r"\b" + _HURT + r" (mij|me|ons)\b",
        r"\bmishandel\w*",
        r"\b(ben|zijn|is|word|wordt|worden) (\w+ ){0,2}(geslagen|geschopt|mishandeld|gewurgd|bedreigd)\b",
        r"\bbang (voor|van) " + _MY + r" " + _FAMILY + r"\b",
        r"\b(ik|we|wij|ze|hij|zij)\b.{0,10}\b(durf|durft|durven) (\w+ )?niet (meer )?(naar huis|thuis)",
        r"\b(ben|is|zijn) bang (als|wanneer|dat) (hij|zij|ze|mijn \w+) (thuis ?komt|boos wordt|drinkt|dronken)",
        r"\bdronken\b.{0,30}\b(slaat|schreeuwt|gooit|bedreigt|agressief)",
        r"\b(gooit|gooide) (met )?(spullen|dingen|borden|stoelen)\b.{0,30}\b(naar|ons|mij|me|haar|hem)",
        r"\bveilig thuis\b.{0,30}\b(bellen|melden|melding)\b.{0,30}\b(mijn|onze|we|ik)\b",
        r"\bthuis\b.{0,40}\b(geslagen|geschopt|klappen|slaag|mishandeld)\b|\b(geslagen|geschopt|klappen|slaag)"
        r"\b.{0,40}\bthuis\b",
        r"\b(heeft|hebben|had) (me|mij|ons|haar) (\w+ ){0,3}(geslagen|geschopt|gestompt|mishandeld|geduwd)\b",
        r"\b(blijft|blijven) (me|mij|ons) (\w+ )?bedreigen\b|\bbedreig\w* (me|mij|ons)\b|"
        r"\b(me|mij|ons) (\w+ )?(te )?bedreigen\b",
        r"\b(me|mij|ons|haar) iets (aan ?doet|aan ?doen|aandoen)\b.{0,30}\b(als|wanneer)\b",
        r"\b(geeft|geven|gaf|gaven) (\w+ ){0,3}(klappen|slaag|een klap|een pak slaag|tikken|trappen)\b",
    )),
}

_NOW = re.compile(r"\b(nu|nou|op dit moment|op het moment|op dit ogenblik|net|zojuist|vannacht|"
                  r"vanavond|help)\b")
_VIOLENCE_NOW = re.compile(
    r"\b(slaat|slaan|schopt|schoppen|trapt|trappen|gooit|gooien|knijpt|wurgt|steekt|bedreigt|bedreigen|"
    r"aanvalt|in elkaar|te lijf|sla(at)? (haar|hem|me|mij|ons))\b")

#: Key words that are matched with typing errors too: word -> kind.
_FUZZY_WORDS: Dict[str, str] = {
    "zelfmoord": SUICIDE,
    "zelfdoding": SUICIDE,
    "suicidaal": SUICIDE,
    "suicide": SUICIDE,
    "zelfbeschadiging": SUICIDE,
    "mishandeling": DOMESTIC_VIOLENCE,
    "mishandeld": DOMESTIC_VIOLENCE,
    "mishandelt": DOMESTIC_VIOLENCE,
    "kindermishandeling": CHILD_ABUSE,
    "misbruikt": CHILD_ABUSE,
    "misbruik": CHILD_ABUSE,
    "verkracht": CHILD_ABUSE,
    "verkrachting": CHILD_ABUSE,
    "aangerand": CHILD_ABUSE,
    "levensgevaar": ACUTE_DANGER,
}
#: Sayings that use crisis words without a crisis.
_FIGURATIVE = re.compile(
    r"\b(dood ?gaan|doodgaan|ga dood|gaat dood|gingen dood|lig dood|lag dood) (van|aan) (de |het )?"
    r"(verveling|het lachen|lachen|de honger|honger|dorst|schaamte|de zenuwen|stress|de kou|de hitte)|"
    r"\b(doodmoe|doodop|doodnormaal|doodsbang voor (spinnen|honden|de tandarts))\b|"
    r"\bover (de|het) (dood|overlijden) van\b|\bslaat (een|de) (klas|groep|les|jaar)\b( over)?|"
    r"\bslaat (nergens|niks|niets) op\b|\bop hol\b|\bslaat (de )?(bal|deur)\b"
)


def fold(text: str) -> str:
    """Lower case, no accents, letters repeated three or more times squeezed to two, tidy spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("\u2019", "'").replace("`", "'")
    plain = re.sub(r"(\w)\1{2,}", r"\1\1", plain)
    plain = re.sub(r"[^\w' ]+", " ", plain)
    return " ".join(plain.split())


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), stopping early past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: List[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if (i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b):
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _fuzzy_kinds(words: Iterable[str]) -> List[str]:
    kinds = []
    for word in words:
        if len(word) < 6:
            continue
        for key, kind in _FUZZY_WORDS.items():
            limit = 1 if len(key) < 9 else 2
            if word[:2] == key[:2] and _distance(word, key, limit) <= limit:
                kinds.append(kind)
    return kinds


def child_age(text: str) -> Optional[int]:
    """The age a child states about itself ("ik ben 12"), when between 6 and 17."""
    match = _CHILD_AGE.search(fold(text))
    if match and 6 <= int(match.group(2)) <= 17:
        return int(match.group(2))
    return None


def detect(text: str) -> Optional[str]:
    """The crisis kind of a message (see ``PRIORITY``), or None.

    >>> detect("mijn dochter zegt dat ze dood wil")
    'suicide'
    >>> detect("ik ga dood van verveling, wanneer is de vakantie") is None
    True
    """
    if not text:
        return None
    folded = fold(text)
    plain = _FIGURATIVE.sub(" ", folded)
    found = {kind for kind, patterns in _PATTERNS.items() if any(p.search(plain) for p in patterns)}
    found.update(_fuzzy_kinds(plain.split()))
    if _NOW.search(plain) and _VIOLENCE_NOW.search(plain):
        found.add(ACUTE_DANGER)
    if _SCHOOL_CONTEXT.search(plain) and found <= {DOMESTIC_VIOLENCE, CHILD_ABUSE}:
        # Hitting among pupils at school is bullying (mentor, school), not violence at home,
        # unless the message also names sexual abuse or neglect.
        sexual = re.search(r"misbruik|aanrand|verkracht|betast|verwaarloos|naaktfoto|grooming|brandwond|"
                           r"sigaret", plain)
        if not sexual and not re.search(r"\bthuis\b|" + _MY + r" " + _FAMILY + r"\b", plain):
            found.clear()
    child_writing = child_age(text) is not None or bool(_CHILD_MARKERS.search(plain))
    if child_writing and (found - {ACUTE_DANGER, SUICIDE} or not found):
        found.add(CHILD_USER)
    for kind in PRIORITY:
        if kind in found:
            return kind
    return None
