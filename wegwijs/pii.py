"""Dutch PII scrubbing for text that leaves the tracker store (retraining exports, logs).

Structured data is found by our own patterns with checksums where the format has one: BSN (11-proef),
IBAN (ISO 13616 mod-97), phone numbers (Dutch mobile and landline in the usual notations, and
international numbers), postcodes, e-mail addresses, street addresses (street name + house number) and
dates of birth (a date with a birth word nearby, or a date far enough in the past to be a child's
birthday). Names come from ``deduce`` 3.0.3 (Dutch de-identification; uses its name lists and
patterns), loaded once per process because building its lookup structures takes a while.

Everything found is replaced by a typed placeholder such as ``[NAAM]`` or ``[TELEFOON]``, so a
sentence still reads as a sentence for training.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass
from typing import Callable, Iterable, List, Optional, Sequence

#: Our types and their placeholders.
PLACEHOLDERS = {
    "BSN": "[BSN]", "IBAN": "[IBAN]", "PHONE": "[TELEFOON]", "POSTCODE": "[POSTCODE]",
    "EMAIL": "[EMAIL]", "ADDRESS": "[ADRES]", "DATE_OF_BIRTH": "[GEBOORTEDATUM]", "NAME": "[NAAM]",
}
STRUCTURED = ("BSN", "IBAN", "PHONE", "POSTCODE", "EMAIL", "ADDRESS", "DATE_OF_BIRTH")
#: Tried first when spans overlap (checksummed and unambiguous formats win).
PRIORITY = {"EMAIL": 0, "IBAN": 1, "BSN": 2, "PHONE": 3, "POSTCODE": 4, "DATE_OF_BIRTH": 5,
            "ADDRESS": 6, "NAME": 7}


@dataclass(frozen=True)
class Span:
    """Personal data found in a text: ``text[start:end]`` of ``type``."""

    start: int
    end: int
    type: str
    value: str


# ---------------------------------------------------------------------------------- checksums
def bsn_valid(digits: str) -> bool:
    """The 11-proef of a BSN (9 digits; 8 digits get a leading zero)."""
    digits = re.sub(r"\D", "", digits)
    if len(digits) == 8:
        digits = "0" + digits
    if len(digits) != 9 or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
    return total % 11 == 0


_IBAN_LENGTHS = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "GB": 22, "ES": 24, "IT": 27, "LU": 20,
                 "AT": 20, "CH": 21, "PL": 28, "TR": 26, "MA": 28, "PT": 25, "IE": 22, "DK": 18}


def iban_valid(text: str) -> bool:
    """ISO 13616: the country's length and the mod-97 check."""
    iban = re.sub(r"\s", "", text).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", iban):
        return False
    expected = _IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


# ---------------------------------------------------------------------------------- patterns
#: An e-mail address anywhere in a text (also used to read the address a parent types for a handover).
EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,3})?\b")
_BSN = re.compile(r"(?<![\d.,-])(\d{4}[.\s-]?\d{2}[.\s-]?\d{3}|\d{3}[.\s-]\d{3}[.\s-]\d{3}|\d{9})"
                  r"(?!\d|[.,-]\d)")
#: A phone number anywhere in a text, Dutch or international (also used to read the number a parent types
#: for a handover).
PHONE_IN_TEXT = re.compile(
    r"(?<![\w+])(?:"
    r"(?:\+|00)\s?\d{2,3}(?:\s?\(0\))?\s?[./-]?\s?\d(?:\s?[./-]?\s?\d){6,10}"  # international
    r"|\(0\d{1,3}\)\s?\d(?:\s?[./-]?\s?\d){5,8}"                 # (020) 123 45 67, (06) 12345678
    r"|0\d(?:\s?[./-]?\s?\d){8}"                           # 0612345678, 06 - 12 34 56 78, 06/12345678
    r")(?!\d)")
_POSTCODE = re.compile(r"(?<![\d-])\b[1-9]\d{3}\s?(?!SA|SD|SS)([A-Za-z]{2})\b")
#: Two-letter Dutch words after a number are not postcode letters ("2000 of", "12 en").
_NOT_POSTCODE_LETTERS = {"of", "en", "in", "op", "te", "is", "om", "na", "al", "ik", "je", "we", "ze",
                         "er", "de", "nu", "zo", "ja", "bv", "eh", "jr", "ca"}
_STREET_SUFFIX = (r"straat|laan|weg|plein|gracht|kade|singel|dijk|hof|park|pad|steeg|dreef|"
                  r"markt|baan|kwartier|haven|wal|erf|veld|akker|brink|burg|hoek|oord|zijde|"
                  r"pleintje|straatje|weide|wijk|gaarde|rade|donk|dam|dal|ring|lei|poort|allee|"
                  r"boulevard|vaart|gang|dreef|kanaal|zang|berg|horst|loop|tuin|hoven|wetering")
_ADDRESS = re.compile(
    # optional capitalised words and tussenvoegsels before the street word ("Jan van Galenstraat"),
    # the street word (any case: parents type "kerkstraat"), the number and an addition
    rf"(?:\b\d{{1,2}}e\s)?"  # "1e Jan Steenstraat"
    # (spaces only: an address does not run over a line break, as in an e-mail signature)
    rf"(?:\b[A-Z][\w'.-]*[ \t](?:(?:[A-Z][\w'.-]*|van|de|der|den|het|ter|ten|'t)[ \t])*"
    rf"|\b[a-z]+[ \t](?:van|de|der|den|ter|ten)[ \t](?:[a-z]+[ \t])?)?"  # "jan van galenstraat"
    rf"\b[A-Za-zà-ÿ'-]*(?i:{_STREET_SUFFIX})[ \t]\d{{1,4}}"
    rf"(?:[ \t]?[-/]?[ \t]?(?:(?i:[IVX]{{1,3}})\b|[A-Za-z]{{1,2}}\b|hs\b|bis\b|\d{{1,3}}\b))?"
    # "Laan van Meerdervoort 4 A"
    rf"|\b(?:Laan|Plein|Weg|Hof|Kade|Dijk)\s(?:van|der|de|ter|ten)\s(?:[A-Z][\w'-]*\s?){{1,3}}\s\d{{1,4}}"
    rf"(?:\s?[-/]?\s?(?:[A-Za-z]{{1,2}}\b|\d{{1,3}}\b))?")
#: "we wonen op Zonnebloem 219", "adres: Vogelenzang 25-1": a name and a number after an address word
_ADDRESS_BY_CONTEXT = re.compile(
    r"(?i:woon|woont|wonen|adres|verhuisd naar|verhuizen naar|wonend)\w*\s*(?:op|aan|:)?\s*(?:de\s|het\s)?"
    r"((?:[A-Z][\w'-]*\s){0,3}[A-Z][\w'-]*\s\d{1,4}(?:\s?[-/]?\s?(?:[A-Za-z]{1,2}\b|\d{1,3}\b))?)")
_MONTHS = ("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|"
           "jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec")
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}[-/.]\d{{1,2}}[-/.](?:\d{{4}}|'?\d{{2}})"
    rf"|\d{{4}}-\d{{1,2}}-\d{{1,2}}"
    rf"|\d{{1,2}}\s(?:{_MONTHS})\.?\s(?:\d{{4}}|'\d{{2}}))\b",
    re.IGNORECASE)
#: "geboren op 29 februari": a day and month without a year, personal only after a birth word
_DAY_MONTH = re.compile(rf"\b\d{{1,2}}\s(?:{_MONTHS})\b(?!\.?\s(?:\d{{4}}|'\d{{2}}))", re.IGNORECASE)
_BIRTH_BEFORE = re.compile(r"(?:geb\.|geboren|geboortedatum|jarig|verjaardag)\W{0,3}(?:\w+\W{1,3}){0,2}$",
                           re.IGNORECASE)
_BIRTH_WORDS = re.compile(r"geb\.|geboren|geboorte|geb\b|jarig|verjaardag|birth|born|gebdatum|"
                          r"geboortedatum", re.IGNORECASE)
_NOT_BSN_CONTEXT = re.compile(r"(klant|order|factuur|dossier|artikel|bestel|referentie|zaak|"
                              r"kenmerk|ticket|pakket)\w*\W{0,3}(?:nummer|nr)?\W{0,3}$", re.IGNORECASE)
_IBAN_HEAD = re.compile(r"\b[A-Za-z]{2}\d{2}\s?[A-Za-z]{4}\s?$")
_ORGANISATION_PHONE = re.compile(r"^(?:0800|0900|0906|0909|088|112)")


def _phone_ok(value: str) -> bool:
    digits = re.sub(r"\D", "", value.replace("(0)", ""))
    if _ORGANISATION_PHONE.match(digits) or _ORGANISATION_PHONE.match(value.strip("()")):
        return False  # help lines and organisation numbers are not personal data
    if value.startswith(("+", "00")):
        return 9 <= len(digits) <= 15
    return len(digits) == 10


def _date_of(value: str) -> Optional[dt.date]:
    months = {name: i for i, names in enumerate(
        [("januari", "jan"), ("februari", "feb"), ("maart", "mrt"), ("april", "apr"), ("mei",),
         ("juni", "jun"), ("juli", "jul"), ("augustus", "aug"), ("september", "sep", "sept"),
         ("oktober", "okt"), ("november", "nov"), ("december", "dec")], start=1) for name in names}
    text = value.lower().replace(".", "-").replace("/", "-").strip()
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
            year, month, day = (int(p) for p in text.split("-"))
        elif re.fullmatch(r"\d{1,2}-\d{1,2}-'?\d{2,4}", text):
            day, month, year_text = text.split("-")
            day, month = int(day), int(month)
            year = int(year_text.strip("'"))
        else:
            parts = text.replace("-", " ").split()
            day, month, year = int(parts[0]), months[parts[1].rstrip(".")], int(parts[-1].strip("'"))
        if year < 100:
            year += 2000 if year <= dt.date.today().year % 100 else 1900
        return dt.date(year, month, day)
    except (ValueError, KeyError, IndexError):
        return None


def structured_spans(text: str, today: Optional[dt.date] = None) -> List[Span]:
    """Every structured item in ``text`` (may overlap; see :func:`resolve`)."""
    today = today or dt.date.today()
    spans: List[Span] = []

    def add(match: "re.Match[str]", kind: str, group: int = 0) -> None:
        spans.append(Span(match.start(group), match.end(group), kind, match.group(group)))

    for match in EMAIL_IN_TEXT.finditer(text):
        add(match, "EMAIL")
    for match in _IBAN.finditer(text):
        value = match.group(0)
        while value and not iban_valid(value) and " " in value:
            value = value.rsplit(" ", 1)[0]  # "BE33… t.n.v.": the last short group is not part of it
        if iban_valid(value):
            spans.append(Span(match.start(), match.start() + len(value), "IBAN", value))
    for match in _BSN.finditer(text):
        before = text[max(0, match.start() - 30):match.start()]
        if bsn_valid(match.group(0)) and not _NOT_BSN_CONTEXT.search(before):
            add(match, "BSN")
    for match in PHONE_IN_TEXT.finditer(text):
        value = match.group(0).rstrip(" .-")
        if _IBAN_HEAD.search(text[max(0, match.start() - 12):match.start()]):
            continue  # the digits of an IBAN-shaped string ("NL02 RABO 0281 9102 00"), not a phone
        if _phone_ok(value):
            spans.append(Span(match.start(), match.start() + len(value), "PHONE", value))
    for match in _POSTCODE.finditer(text):
        letters = match.group(1)
        if letters.islower() and letters in _NOT_POSTCODE_LETTERS:
            continue
        add(match, "POSTCODE")
    for match in _ADDRESS.finditer(text):
        value = match.group(0).rstrip(" -/")
        spans.append(Span(match.start(), match.start() + len(value), "ADDRESS", value))
    for match in _ADDRESS_BY_CONTEXT.finditer(text):
        add(match, "ADDRESS", 1)
    for match in _DATE.finditer(text):
        day = _date_of(match.group(0))
        if day is None:
            continue
        near = text[max(0, match.start() - 40):match.end() + 15]
        years = (today - day).days / 365.25
        if _BIRTH_WORDS.search(near) or 2 <= years <= 100:
            add(match, "DATE_OF_BIRTH")
    for match in _DAY_MONTH.finditer(text):
        if _BIRTH_BEFORE.search(text[max(0, match.start() - 40):match.start()]):
            add(match, "DATE_OF_BIRTH")
    return spans


# ---------------------------------------------------------------------------------- names (deduce)
_deduce = None
_deduce_lock = threading.Lock()
#: Words deduce may take for a name that are not one in our chats.
_NOT_NAMES = {"juf", "meester", "mentor", "mevrouw", "meneer", "sinterklaas", "veilig thuis",
              "jeugdstem", "kindertelefoon", "wegwijs", "ggd", "mama", "papa", "opa", "oma"}


def _deduce_model():
    global _deduce
    with _deduce_lock:
        if _deduce is None:
            import logging

            logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
            from deduce import Deduce

            _deduce = Deduce()
    return _deduce


_TITLE = re.compile(r"(?i)(?:juf|juffrouw|meester|meneer|mevrouw|mevr\.?|mw\.?|dhr\.?|dokter|dr\.?|"
                    r"mentor|opa|oma|tante|oom|zus|broer)\s+")
_INTERFIXES = {"van", "de", "der", "den", "het", "ter", "ten", "te", "in", "op", "el", "al", "ben",
               "bin", "da", "di", "du", "le", "la", "von", "vd", "v.d."}
_WORD = re.compile(r"[A-Za-zà-ÿ'-]+")


def recase(text: str) -> str:
    """Capitalise lower-case first names (and the surname after them), as parents often type
    "mijn dochter fatima el amrani"; deduce relies on capitals. Same length, same offsets."""
    model = _deduce_model()
    first, surname = model.lookup_structs["first_name"], model.lookup_structs["surname"]
    common, stop = model.lookup_structs["common_word"], model.lookup_structs["stop_word"]
    chars = list(text)
    tokens = list(_WORD.finditer(text))
    index = 0
    while index < len(tokens):
        token = tokens[index].group(0)
        if token.islower() and token not in common and token not in stop and \
                [token.capitalize()] in first and token not in _NOT_NAMES:
            chars[tokens[index].start()] = token[0].upper()
            following = index + 1
            while following < len(tokens) and tokens[following].group(0) in _INTERFIXES:
                following += 1
            if following < len(tokens):
                word = tokens[following].group(0)
                plausible = word.islower() and word not in common and word not in stop and len(word) > 2
                if plausible and (following > index + 1 or [word.capitalize()] in surname):
                    chars[tokens[following].start()] = word[0].upper()
                    index = following
        index += 1
    return "".join(chars)


_NAME_TOKEN = r"[A-ZÀ-ÖØ-Þ][\wÀ-ÿ'’]*(?:-[A-Za-zÀ-ÿ][\wÀ-ÿ'’]*)*"
_NAME_LOWER = r"[a-zà-ÿ][a-zà-ÿ'’]+(?:-[a-zà-ÿ][a-zà-ÿ'’]+)*"
#: Words after which a name follows in parents' messages ("mijn zoon Jun", "t.n.v. O. Kovalenko").
_NAME_CUE = (r"(?:mijn|onze|ons|haar|zijn|hun)\s(?:zoon|dochter|kind|man|vrouw|partner|ex|vriend|vriendin|"
             r"broer|zus|neef|nicht|kleinzoon|kleindochter|pleegzoon|pleegdochter|pleegkind|son|daughter)"
             r"|ik\sben|ik\sheet|hij\sheet|zij\sheet|ze\sheet|heet|naam\s?:?|t\.?n\.?v\.?|leerling\s?:|"
             r"(?:vader|moeder|oma|opa|oom|tante|voogd|mentor|juf|meester|broer|zus)\svan|"
             r"bsn\s(?:van|nummer\svan)|groeten,?|groet,?|juf|meester|my\s(?:son|daughter)|"
             r"uit\sgroep\s\d\w*|contact\s?:")
_CUED_NAME = re.compile(rf"(?i:\b(?:{_NAME_CUE}))\s+({_NAME_TOKEN}(?:\s(?:(?:van|de|der|den|ter|ten|el|al|"
                        rf"bin|ben)\s)*{_NAME_TOKEN}){{0,2}})")
_CUED_LOWER = re.compile(rf"(?i:\b(?:mijn|onze)\s(?:zoon|dochter|kind)|\bik\sben|\bnaam\s?:?|"
                         rf"\bt\.?n\.?v\.?|\bvan)\s+({_NAME_LOWER}(?:\s{_NAME_LOWER})?)")


def cued_names(text: str) -> List[Span]:
    """Names after a cue ("mijn dochter Wiktoria", "Groeten, Oliwia Kamińska"), for the names deduce's
    lists do not know (Polish, Ukrainian, Eritrean, Chinese …)."""
    model = _deduce_model()
    common, stop = model.lookup_structs["common_word"], model.lookup_structs["stop_word"]
    spans = []
    for match in _CUED_NAME.finditer(text):
        words = match.group(1).split()
        # stop at the first word that is an ordinary Dutch word ("Hij", "En", "Groep")
        keep = []
        for word in words:
            if word.lower() in common or word.lower() in stop or word.lower() in _NOT_NAMES:
                break
            keep.append(word)
        while keep and keep[-1].lower() in _INTERFIXES:
            keep.pop()
        if keep:
            value = " ".join(keep)
            spans.append(Span(match.start(1), match.start(1) + len(value), "NAME", value))
    for match in _CUED_LOWER.finditer(text):
        words = []
        for word in match.group(1).split():
            if word in common or word in stop or word in _NOT_NAMES or len(word) < 3:
                break
            words.append(word)
        if words and ([words[0].capitalize()] in model.lookup_structs["first_name"] or len(words) == 2):
            value = " ".join(words)
            spans.append(Span(match.start(1), match.start(1) + len(value), "NAME", value))
    return spans


def _extend_hyphens(text: str, span: Span) -> Span:
    """"Lieuw" of "Lieuw-A-Soe", "Al" of "Al-Ahmad": the whole double name."""
    start, end = span.start, span.end
    match = re.match(r"(?:-[A-Za-zÀ-ÿ][\wÀ-ÿ'’]*)+", text[end:])
    if match:
        end += match.end()
    match = re.search(r"(?:\b(?:Al|El|Abu|Ben|Bin|Ait|Aït|Lieuw|Van)-)$", text[:start])
    if match:
        start = match.start()
    return Span(start, end, span.type, text[start:end]) if (start, end) != (span.start, span.end) else span


def name_spans(text: str) -> List[Span]:
    """People's names by deduce (``persoon`` annotations), also when typed in lower case, and names
    after a cue that deduce's lists do not know."""
    return [_extend_hyphens(text, span) for span in _deduce_names(text) + cued_names(text)]


def _deduce_names(text: str) -> List[Span]:
    document = _deduce_model().deidentify(recase(text))
    spans = []
    for annotation in document.annotations:
        if annotation.tag.startswith("persoon") or annotation.tag in ("patient", "naam"):
            start, end = annotation.start_char, annotation.end_char
            title = _TITLE.match(text, start, end)
            if title:  # "juf Marieke": the title is not part of the name
                start = title.end()
            value = text[start:end]
            if not value.strip() or value.strip().lower() in _NOT_NAMES:
                continue
            spans.append(Span(start, end, "NAME", value))
    return spans


# ---------------------------------------------------------------------------------- scrubbing
def resolve(spans: Iterable[Span]) -> List[Span]:
    """Non-overlapping spans: the longest first, then by priority."""
    chosen: List[Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), PRIORITY[s.type], s.start)):
        if all(span.end <= other.start or span.start >= other.end for other in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def find(text: str, names: bool = True, today: Optional[dt.date] = None,
         name_finder: Optional[Callable[[str], Sequence[Span]]] = None) -> List[Span]:
    """All personal data in ``text``, non-overlapping."""
    spans = structured_spans(text, today)
    if names:
        spans += list((name_finder or name_spans)(text))
    return resolve(spans)


def replace(text: str, spans: Sequence[Span]) -> str:
    """``text`` with each of ``spans`` (non-overlapping, in order, as :func:`find` gives them)
    replaced by its placeholder."""
    out, last = [], 0
    for span in spans:
        out.append(text[last:span.start])
        out.append(PLACEHOLDERS[span.type])
        last = span.end
    out.append(text[last:])
    return "".join(out)


def scrub(text: str, names: bool = True, today: Optional[dt.date] = None) -> str:
    """``text`` with every piece of personal data replaced by its placeholder."""
    return replace(text, find(text, names=names, today=today))
