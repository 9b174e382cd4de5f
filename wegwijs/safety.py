"""Recognise crisis messages with rules, so that the help line comes first even where NLU is unsure.

The trained classifier recognises safety intents too; this layer is the safety net under it. It runs
inside the NLU pipeline (:mod:`wegwijs.nlp.safety_override`) and overrides the predicted intent when it
fires. It is deliberately on the side of caution: a false alarm costs a parent one extra message with
help lines, a miss can cost much more. Words are compared after folding (lower case, no accents,
repeated letters squeezed) and key words also with one or two typing errors.
"""
from __future__ import annotations

import re
from typing import Dict, Iterable, List, Optional, Pattern, Tuple

from wegwijs.text import fold  # wegwijs/handovers/ import it from here too

ACUTE_DANGER = "acute_danger"
SUICIDE = "suicide"
CHILD_USER = "child_user"
CHILD_ABUSE = "child_abuse"
DOMESTIC_VIOLENCE = "domestic_violence"
#: Most urgent first: when several kinds fire, the first one here wins.
PRIORITY = (ACUTE_DANGER, SUICIDE, CHILD_USER, CHILD_ABUSE, DOMESTIC_VIOLENCE)
#: The NLU intent of a crisis kind is this prefix + the kind ("safety_suicide").
INTENT_PREFIX = "safety_"

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
    r"( jaar| jr| jaar oud)?\b|ik zit in (groep|klas|de brugklas|brugklas|de \d|het \d|\d ?(havo|vwo|vmbo|mavo|gym|atheneum)|"
    r"havo|vwo|vmbo|mavo)|"
    r"ik ben (een|nog een) (kind|meisje|jongen|leerling|tiener|puber)|"
    r"\b(mag|kan|kun|moet|wil|durf) ik ((hier|ook|zelf|nu) )*als (kind|leerling|scholier|tiener|puber|minderjarige)\b|"
    r"mijn (juf|meester|mentor) (zegt|weet|mag)|ik mag (niet|nooit) van mijn (ouders|vader|moeder|papa|mama)|"
    r"mijn (ouders|vader|moeder|papa|mama|stiefvader|stiefmoeder) (slaat|slaan|schopt|schoppen|"
    r"mishandelt|mishandelen|scheldt|schelden|drinkt|drinken) (mij|me)\b)"
)
_PERSON = (r"(kind|kindje|kinderen|kids|zoon|zoontje|dochter|dochtertje|baby|jongen|meisje|hem|haar|ons|mij|me|"
           r"iemand|broer\w*|zus\w*)")
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
        r"(mes|messen|wapen|pistool|geweer|vuurwapen)\b",
        r"\b(keel|nek) (dicht|dichtknijpt|dichtgeknepen|dicht knijpt)|\bwurg\w*|\bgewurgd\b",
        r"\b(deur|raam) (in|kapot) ?(te )?(trappen|trapt|slaan|slaat)\b|\bopgesloten\b",
        r"\bin elkaar (\w+ )?(geslagen|slaan|slaat|getrapt|trappen)\b",
        # Threats to stab, shoot or kill, in any tense; weapons brought along.
        r"\b(neer ?steken|neer ?steekt|neergestoken|neer te steken|neer ?schieten|neer ?schiet|"
        r"neergeschoten|dood ?schieten|dood ?schiet|doodgeschoten|dood ?steken|dood ?steekt|"
        r"doodgestoken|af ?te ?maken|afmaakt)\b",
        r"\b(steekt|schiet) (je|me|mij|ons|haar|hem|jullie|ze) (neer|dood|overhoop)\b",
        r"\bdoods ?bedreig\w*",
        r"\b(vuurwapen\w*|pistool|revolver|geweer|wapen|wapens)\b",
        r"\b(mes|messen|schaar|bijl|hamer)\b.{0,25}\b(bedreig\w*|dreig\w*|steken|steekt|gestoken|zwaai\w*|"
        r"mee ?genomen|neemt .{0,10}mee|bij zich|op zak|getrokken|trekt)\b",
        r"\b(bedreig\w*|dreig\w*|steken|steekt|gestoken|zwaai\w*|trekt|trok)\b.{0,25}\b(mes|messen|bijl)\b",
        r"\bontvoer\w* (\w+ ){0,2}" + _PERSON + r"\b|\b" + _PERSON + r" (\w+ ){0,3}ontvoerd\b|\b(dreigt|dreigde|gedreigd|wil|wilde|gaat)\b.{0,30}\bte ontvoeren\b|"
        r"\b(kind|kinderen|zoon|dochter)\b.{0,40}\b(mee ?nemen|meenemen|meeneemt|meegenomen)\b"
        r".{0,30}\b(buitenland|land uit|zonder toestemming|nooit meer)\b",
        r"\b(in brand (steken|steekt|te steken)|brand ?stichten)\b",
        r"\b(bewusteloos|ademt niet|niet meer (wakker|aanspreekbaar)|reageert niet meer|"
        r"bloedt (heel |erg |zo )?(erg|veel|hevig))\b",
        r"\b(moet ik|kan ik|ik heb|ik ga|wij hebben) (\w+ )?112\b|\b112 (bellen|gebeld)\b",
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
        r"\bniet meer wakker (te )?(worden|word|wordt)\b|\bnooit meer wakker\b",
        r"\b(iedereen|jullie|de wereld|mama|papa|iedereen hier) (is |zijn |zou |zal )?(\w+ )?beter af "
        r"(zonder|als)\b",
        r"\b(ziet|zie|zag|zien) het (leven )?(echt |helemaal |allemaal )?niet meer zitten\b",
        r"\boverdosis\b|\b(\w*pillen|medicijnen|\w*tabletten) (\w+ )?(gespaard|verzameld|opgespaard|sparen)\b",
        r"\b(een )?einde? (er ?aan|eraan) (ge)?(maken|maakt|maakte|maakten|gemaakt)\b|"
        r"\ber een einde? aan (ge)?(maakt|maakte|gemaakt)\b",
        r"\b(hoe|manieren om)\b.{0,30}\b(pijnloos|zelf ?doden|dood te gaan|doodgaan|dood gaat)\b",
        r"\b(voor|onder) (de|een) (trein|metro|vrachtwagen)\b.{0,20}\b(springen|spring|gaan liggen|lopen)|"
        r"\b(springen|spring|gooien)\b.{0,20}\b(voor|onder) (de|een) (trein|metro)\b",
        r"\b(snij|kras|brand)(wonden|sporen|plekken|littekens)\b.{0,40}\b(arm|armen|pols|polsen|benen|"
        r"been|zelf)\b|\b(littekens|sneetjes|krassen|wondjes) op (haar|zijn|z'n|d'r|mijn|m'n) "
        r"(arm|armen|pols|polsen|benen|bovenbenen|buik)\b|"
        r"\bscheermes\w*\b(?=.{0,50}\b(arm\w*|pols\w*|been|benen|snij\w*|kras\w*|bloed\w*|verstop\w*|zichzelf|"
        r"zich|kamer|tas|etui)\b)|\b(verstop\w*|gevonden)\b.{0,30}\bscheermes\w*",
        r"\b(zichzelf|zich|mezelf|mijzelf) (iets )?(aan ?doen|aandoet|aan doet|van kant maken)\b|"
        r"\bvan kant (te )?maken\b",
        r"\b(wil|wilt|willen|wou|wilde) (gewoon |echt )?(verdwijnen|er niet meer zijn|niet meer bestaan)\b",
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
        r"\b(aan|bij) (haar|hem|mij|me|mijn dochter|mijn zoon) (heeft )?(gezeten|zitten|zit)\b"
        r"(?!.{0,20}\b(tafel|bank|les|klas)\b)",
        r"\b(dingen|iets) (\w+ ){0,3}(die|dat) niet (mogen|mag|horen|hoort)\b.{0,40}\b(haar|hem|mijn|"
        r"kind|dochter|zoon|lichaam)\b|\b(haar|hem|mijn (dochter|zoon|kind))\b.{0,40}\b(dingen|iets) "
        r"(\w+ ){0,3}(die|dat) niet (mogen|mag|horen|hoort)\b",
        r"\b(laat|liet|moest|moet) (haar|hem|mijn (dochter|zoon|kind)) (\w+ ){0,3}(uitkleden|naakt|porno|"
        r"foto'?s (van zichzelf|sturen|opsturen))\b|\bporno (laten )?(zien|kijken) (aan|met)\b",
        r"\b(chanteert|chantage|sextortion|gechanteerd|afgeperst|afpersen)\b.{0,40}\b(foto|fotos|foto's|"
        r"filmpje|video|beelden)\b|\b(foto|fotos|foto's|filmpje|beelden)\b.{0,40}\b(chanteert|chantage|"
        r"gechanteerd|afgeperst|verspreiden|online zetten)\b",
        r"\b(met|met de) (riem|stok|pollepel|schoen|slipper)\b.{0,20}\b(geslagen|slaan|slaat|sloeg|gekregen)\b|"
        r"\b(slaat|sloeg|slaan) (\w+ ){0,2}met (een|de) (riem|stok|pollepel)\b|\blijfstraf\w*",
        r"\b(kind|kinderen|dochter|zoon|kids|baby)\b.{0,40}\b(dagen|nachten|vaak|steeds|hele weekend) "
        r"(\w+ )?alleen (thuis )?(gelaten|laten|achtergelaten)\b",
        r"\b(komt|komen|gaat|gaan) (\w+ )?(elke dag |steeds |vaak |altijd )?(met|zonder) (honger|eten)\b"
        r".{0,30}\b(school|naar school|thuis)\b.{0,60}\b(thuis|ouders|geen eten|niks te eten)\b",
    )),
    DOMESTIC_VIOLENCE: tuple(_compile(p) for p in (
        r"\bhuiselijk geweld\b|\bgeweld (thuis|in huis|in (ons|het) gezin)\b|\bthuis (is|wordt|gebeurt) "
        r"(er )?(\w+ )?geweld\b",
        r"\b" + _MY + r" " + _FAMILY + r"\b.{0,20}\b" + _HURT + r"\b",
        r"\b" + _HURT + r" (mij|me|ons)\b",
        r"\bmishandel\w*",
        r"\b(ben|zijn|is|word|wordt|worden) (\w+ ){0,2}(geslagen|geschopt|mishandeld|gewurgd|bedreigd)\b",
        r"\b(doods)?bang (voor|van) " + _MY + r" " + _FAMILY + r"\b",
        r"\b(ik|we|wij|ze|hij|zij)\b.{0,10}\b(durf|durft|durven) (\w+ )?niet (meer )?(naar huis|thuis)",
        r"\b(ben|is|zijn) bang (als|wanneer|dat) (hij|zij|ze|mijn \w+) (thuis ?komt|boos wordt|drinkt|dronken)",
        r"\bdronken\b.{0,30}\b(slaat|schreeuwt|gooit|bedreigt|agressief)",
        r"\b(gooit|gooide) (met )?(spullen|dingen|borden|stoelen)\b.{0,30}\b(naar|ons|mij|me|haar|hem)",
        r"\bveilig thuis\b.{0,30}\b(bellen|melden|melding)\b.{0,30}\b(mijn|onze|we|ik)\b",
        r"\b" + _FAMILY + r"\b.{0,15}\b(mama|mij|me|ons|haar|hem|de kinderen|mijn moeder|mijn vader)\b "
        r"(\w+ )?pijn ?(doet|deed|gedaan|doen)\b",
        r"\bthuis\b.{0,80}\b(geslagen|geschopt|klappen|een klap|slaag|mishandeld)\b|\b(geslagen|geschopt|klappen|slaag)"
        r"\b.{0,40}\bthuis\b",
        r"\b(heeft|hebben|had) (me|mij|ons|haar) (\w+ ){0,3}(geslagen|geschopt|gestompt|mishandeld|geduwd)\b",
        r"\b(blijft|blijven) (me|mij|ons) (\w+ )?bedreigen\b|\bbedreig\w* (me|mij|ons)\b|"
        r"\b(me|mij|ons) (\w+ )?(te )?bedreigen\b",
        r"\b(me|mij|ons|haar) iets (aan ?doet|aan ?doen|aandoen)\b.{0,30}\b(als|wanneer)\b",
        r"\b(geeft|geven|gaf|gaven) (\w+ ){0,3}(klappen|slaag|een klap|een pak slaag|tikken|trappen)\b",
        r"\bhandtastelijk\w*|\blosse handjes\b|\bdoor het lint\b|\b(hand|vuist) (op ?geheven|opheft)\b",
        r"\b(agressief|gewelddadig)\b.{0,25}\b(tegen|naar|op) (mij|me|ons|de kinderen|haar|hem|mijn)\b",
        r"\b(tegen|door) de (muur|kast|deur|grond) (\w+ )?(geduwd|gegooid|gesmeten|duwt|gooit|smijt)\b|"
        r"\baan (mijn|m'n|haar|d'r) haren (\w+ )?(getrokken|trekt|sleurt|gesleurd)\b",
        r"\b(sluit|sloot) (me|mij|ons|haar|de kinderen) (\w+ )?op\b|\b(eer ?wraak|eergerelateerd|"
        r"eer gerelateerd|uithuwelijk\w*|gedwongen (huwelijk|trouwen))\b",
        r"\b(stalkt|gestalkt|stalker|achtervolgt|achtervolgd|volgt (me|mij|ons) overal)\b",
        r"\b(dreigt|dreigde|gedreigd|dreigen)\b.{0,30}\b(slaan|vermoorden|iets aan te doen|pijn te doen|"
        r"kapot te maken|af te pakken|mee te nemen)\b",
        r"\b(bang|doodsbang|angstig) (voor (hem|haar)|(als|wanneer) (hij|zij|ze|mijn \w+))\b"
        r".{0,30}\b(thuis|boos|kwaad|drinkt|dronken|thuiskomt|slaat)\b",
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
#: A clause that stops at words that start something personal ("maar", "thuis", "mijn", "ik" …), so a
#: frame below never swallows the crisis that follows it ("een film over oorlog, maar mijn man slaat me").
_CLAUSE = r"(?:(?!\b(?:maar|want|omdat|sinds|nu|thuis|mijn|m'n|mn|ik|me|mij|onze|ons|wij|we)\b).){0,60}"
_WEAPON = r"(wapen|wapens|pistool|pistolen|pistooltje|geweer|geweren|geweertje|mes|messen|mesje|zwaard\w*|bijl)"
#: Sayings, stories, toys, feelings and questions in which crisis words do not describe something
#: happening to someone. Each kind is a general mechanism, tested on word variants
#: (tests/test_safety.py); the matched span is removed before the crisis patterns look at the text.
_NOT_AN_EVENT = {
    # Sayings and exaggerations: "dood" as an intensifier, "zich dood vervelen", "de das om".
    "saying": (
        r"\b(dood ?gaan|doodgaan|ga dood|gaat dood|gingen dood|lig dood|lag dood) (van|aan) (de |het )?"
        r"(verveling|het lachen|lachen|de honger|honger|dorst|schaamte|de zenuwen|stress|de kou|de hitte)|"
        r"\bdood(verveel\w*|moe|op|normaal|eng|zonde|stil|leuk|gewoon|ongelukkig|jammer|simpel|serieus|"
        r"kalm|rustig|nerveus|zenuwachtig|ziek van)\b|"
        r"\b(verveel|verveelt|verveelde|vervelen|lach|lacht|lachte|lachen|schaam|schaamt|schaamde|schamen|"
        r"schrik|schrikt|schrok|schrokken|geschrokken|erger|ergert|ergerde|werk|werkt|werkte|zoek|zoekt|"
        r"zocht) (me|mij|zich|ons|haar|hem|je|jezelf|mezelf|zichzelf) (\w+ )?(dood|rot|kapot|wezenloos|"
        r"een hoedje|te pletter)\b|"
        r"\b(me|mij|zich|ons|je|mezelf|zichzelf) (\w+ )?dood (vervelen|verveelt|verveelde|verveel|lachen|"
        r"lacht|schamen|schaamt|schrikken|schrikt|ergeren|ergert|werken|werkt)\b|"
        r"\bde das om ?(gedaan|doen|doet|deed)?\b|\bslaat (een|de) (klas|groep|les|jaar|bladzijde|pagina|"
        r"hoofdstuk|beurt)\b( over)?|\bslaat (nergens|niks|niets) op\b|\bop hol\b|\bslaat (de )?(bal|deur)\b|"
        r"\b(niemand|niet|geen)\b( \w+)?( in)? (levens)?gevaar\b|"
        r"\b(ik|we|wij) (kan|kon|kunnen|zou|zouden) (hem|haar|ze|hen|die \w+|dat kind)\b.{0,12}\bwel\b.{0,12}"
        r"\b(wurgen|vermoorden|villen|schieten|doodslaan|doodknuffelen|opeten|achter het behang plakken)\b|"
        r"\b(vermoordt|vermoorden|maakt|maken|slaat|slaan) (me|mij|ons|hem|haar) (\w+ )?(af |dood )?"
        r"(als|wanneer)\b.{0,40}\b(rapport\w*|cijfer\w*|toets\w*|te laat|kamer|huiswerk|telefoon|jas|fiets|"
        r"kwijt|onvoldoende|punten)\b"
    ),
    # A feeling: "voelt zich opgesloten in die klas".
    "feeling": r"\b(voel|voelt|voelde|voelen)\b (\w+ ){0,2}(zich|me|mij|je|ons)? ?(\w+ )?(als )?(\w+ )?"
               r"(opgesloten|gevangen|verstikt|ingesloten|verlamd|dood vanbinnen)\b",
    # Ordinary fears: of a test, the dentist, dogs, failing a class.
    "ordinary fear": (
        r"\b(doods)?bang (dat|om|voor)\b(?:(?!\b(hem|haar|mijn|papa|mama|vader|moeder|man|vrouw|ex|vriend|"
        r"stiefvader|stiefmoeder|thuis|slaan|geslagen)\b).){0,40}\b(toets\w*|examen\w*|eindexamen\w*|"
        r"proefwerk\w*|cito|rapport\w*|spreekbeurt\w*|presentatie\w*|gesprek\w*|overgang|zakt|zakken|"
        r"blijft zitten|zittenblijven|niet overgaat|te laat komt|nieuwe school|brugklas|naald\w*|prik\w*|"
        r"tandarts|dokter|ziekenhuis|hond\w*|spin\w*|insect\w*|wesp\w*|het donker|onweer|de dood|clown\w*|"
        r"zwemmen|optreden|vliegen)\b"
    ),
    # A death that has happened (grief): "opa is vorige maand overleden", "de hamster is dood".
    "grief": (
        r"\b(kat|katje|poes|poesje|hond|hondje|hamster|konijn\w*|cavia|vis|visje|vogel\w*|parkiet|paard|pony|"
        r"huisdier\w*|opa|oma|overgrootvader|overgrootmoeder|buurman|buurvrouw|oom|tante|neef|nicht|"
        r"\w*genoot\w*|\w*genootje|juf|meester|leraar|lerares|vriend\w*|buur\w*) (is |was |zijn |waren )?"
        r"(\w+ ){0,4}(dood|doodgegaan|dood gegaan|overleden|gestorven)\b|\bover (de|het) (dood|overlijden) van\b"
    ),
    # Toys, fakes and costumes: "speelgoedpistool", "nep wapen", "waterpistool", "plastic zwaard".
    "toy": (
        r"\b(speelgoed|nep|plastic|plastieken|water|schuim|foam|nerf|lasergame|paintball|kinder|carnaval\w*|"
        r"verkleed\w*|houten|kartonnen|lego|fake) ?-?" + _WEAPON + r"\w*\b|"
        r"\b" + _WEAPON + r"\b (van|uit) (speelgoed|plastic|hout|karton|lego|schuim)\b"
    ),
    # Kitchen and craft tools: "mes voor haar kookles", "messen in de keuken", "schaar bij handvaardigheid".
    "tool": (
        r"\b(mes|messen|mesje|schilmes\w*|broodmes\w*|scheermes\w*|schaar|scharen)\b (\w+ ){0,3}(voor|bij|"
        r"tijdens|nodig (voor|bij)|mee (voor|naar)) (de |het |een |haar |zijn |z'n |d'r )?(\w+ )?(kook\w*|koken|bakken|"
        r"groente\w*|fruit|brood|boterham\w*|handvaardigheid|techniek\w*|knutsel\w*|houtbewerking|"
        r"scheren|baard\w*|snor\w*|verjaardag\w*|taart\w*)\b"
    ),
    # Crisis verbs with a thing as their object: "ontvoert de afstandsbediening", "vermoordt de plantjes".
    "thing": (
        r"\b(ontvoer\w*|gijzel\w*|vermoord\w*|mishandel\w*|slaat|sloeg|schopt|schopte) (\w+ ){0,2}(de |het |een |"
        r"mijn |zijn |haar |onze )?(\w*bediening|telefoon|tablet|ipad|laptop|fiets|bal|knuffel\w*|pop|poppen|"
        r"speelgoed\w*|snoep\w*|koek\w*|controller|spullen|\w*spel|plant\w*|bloemen|computer|tv|televisie|"
        r"muziek|liedje\w*|taal|grammatica|spelling|piano|gitaar|drums?|trommel)\b"
    ),
    # Stories, games and school work about a crisis: "een boek waarin …", "een spreekbeurt over
    # kindermishandeling", "in dat spel schiet hij iedereen dood".
    "story": (
        r"\b(boek\w*|film\w*|serie\w*|spel|spelletje\w*|game\w*|verhaal\w*|spreekbeurt\w*|werkstuk\w*|"
        r"lessen|\w*les|project\w*|voorlichting\w*|prentenboek\w*|toneel\w*|nieuws\w*|documentaire\w*|"
        r"podcast\w*|liedje\w*|video\w*|strip\w*|musical\w*|opdracht\w*|thema\w*|boekverslag\w*)\b"
        r" (\w+ ){0,2}(over|waarin|waar (\w+ ){0,3}in|met (veel )?)\b" + _CLAUSE + "|"
        r"\b(in|bij|tijdens) (het |dat |een |de |die |zijn |haar )?(spel|spelletje|game|gamen|film|serie|"
        r"boek|verhaal|toneelstuk|fortnite|minecraft|roblox)\b" + _CLAUSE
    ),
    # A question about what happens in general, with nobody of the writer's own in it: "wat moet een
    # school doen als een kind thuis wordt mishandeld?" (kept when the message names "mijn", "ik" …).
    "hypothetical": (
        r"^(?!.*\b(mijn|m'n|mn|ik|me|mij|onze|ons|wij|we|zoon|dochter)\b)(wat|hoe|wanneer|moet|mag|kan|"
        r"welke|wie)\b.{0,40}\b(als|wanneer|indien|stel dat)\b (er )?(een|iemand|leerlingen|kinderen|"
        r"ouders)\b.*"
    ),
    # The parent's own childhood, long over: "toen ik klein was sloeg mijn vader".
    "own past": (
        r"\b(toen ik (\w+ )?(klein|jong|kind|een kind|tiener|een tiener|een meisje|een jongen) was|"
        r"in mijn (eigen )?jeugd|vroeger bij mijn ouders|als kind (ben|werd|heb) ik)\b"
        r"(?:(?!\b(nu|nog steeds|nog altijd|weer|opnieuw|sinds kort|vandaag|gisteren|maar)\b).){0,60}"
    ),
    # Talk about the meldcode itself.
    "meldcode": r"\bmeldcode( (voor|huiselijk|geweld|en|kindermishandeling))+",
    # Bruises from sport and play.
    "play injury": (
        r"\b(blauwe )?plekken (\w+ )?van (het |de |een )?(hockey\w*|voetbal\w*|sport\w*|gym\w*|judo\w*|"
        r"vallen|val|spelen|buitenspelen|trampoline\w*|skate\w*|turnen|paardrijden|fiets\w*|\w*bal|"
        r"sportdag|schoolreis\w*|kamp|klimmen|\w*rek|speeltoestel\w*|glijbaan|schommel\w*|stoeien)"
    ),
}
_FIGURATIVE = re.compile("|".join(f"(?:{pattern})" for pattern in _NOT_AN_EVENT.values()))


#: Information questions about help organisations ("wat doet Veilig Thuis?"): no crisis by themselves.
_INFO_QUESTION = re.compile(
    r"^(wat|wie|hoe|wanneer|waar|waarom|welke|is|zijn|kan|kun|mag|moet|werkt|doet|bestaat)\b.{0,60}"
    r"\b(veilig thuis|kindertelefoon|113|hulplijn\w*|jeugdbescherming|raad voor de kinderbescherming|"
    r"meldcode|vertrouwenspersoon|hulp ?lijn\w*)\b"
)
#: Words that make a message personal and serious even when it is phrased as a question.
_SERIOUS = re.compile(
    r"\b(sla\w*|geslagen|schop\w*|mishandel\w*|misbruik\w*|bedreig\w*|dreig\w*|bang|gevaar|"
    r"dood|zelfmoord|pijn|angst|geweld|wapen|mes|onveilig|veilig zijn|politie|112|aan ?geraakt|"
    r"aangerand|verkracht\w*|blauwe|wond\w*|snij\w*|kras\w*)\b"
)
#: An injury with an ordinary cause ("arm gebroken bij het skeeleren").
_ORDINARY_INJURY = re.compile(
    r"\b(gestoten|stootte|stoot|gebroken|gekneusd|verstuikt|verzwikt|blauwe plek\w*|hersenschudding|schaafwond\w*|wond\w*|"
    r"bloedneus\w*|gevallen|gestruikeld|bult|buil)\b.{0,40}\b(bij|met|tijdens|van) (het |de |een )?"
    r"(gym\w*|sport\w*|voetbal\w*|hockey\w*|skeeler\w*|skate\w*|turn\w*|judo\w*|fiets\w*|spelen|"
    r"buitenspelen|trampoline\w*|\w*rek|speeltoestel\w*|glijbaan|schommel\w*|schoolreis\w*|schoolkamp|kamp|pauze|zwem\w*|dans\w*|"
    r"trap|stoep|speeltuin|\w*bal)\b"
)
#: Doubt about the explanation of an injury keeps it serious.
_DOUBT = re.compile(r"\bgeloof (het|dat|hem|haar|er) (\w+ )?niet\b|\bsmoes\w*|\bverzonnen\b|\bniet eerlijk\b")
#: Pupils among themselves: bullying and fights are for the mentor and the school.
_BULLYING = re.compile(r"\b(gepest|pest\w*|treiter\w*|buitengesloten|uitgescholden|ruzie|vechtpartij|"
                       r"gevochten|vechten)\b")


#: A word of at least three letters or digits: a message without one ("nu", "ja?", "??") says nothing the
#: classifier may take for a crisis (the rules decide about such a message on their own).
_CONTENT_WORD = re.compile(r"[a-z0-9]{3,}")


def looks_ordinary(text: str, rules_checked: bool = False) -> bool:
    """True for look-alikes the classifier may take for a crisis, but the rules see as ordinary.

    Used only to overrule a safety guess of the classifier, never the rules themselves: a message
    without a single word of three letters or more ("NU", found by the hardening fuzz test), an
    information question about a help line, bullying among pupils, or a saying ("ik ga dood van de
    verveling") without any other sign of danger. ``rules_checked``: the caller already knows that
    :func:`detect` finds nothing.
    """
    if not text or (not rules_checked and detect(text) is not None):
        return False
    folded = fold(text)
    if not _CONTENT_WORD.search(folded):
        return True  # nothing to read as danger: "nu", "ja?", "ok ok" (the rules still see "112")
    plain = _FIGURATIVE.sub(" ", folded)
    if plain.split() != folded.split() and not _SERIOUS.search(plain):
        return True
    if _INFO_QUESTION.search(folded) and not _SERIOUS.search(folded):
        return True
    if _ORDINARY_INJURY.search(folded) and not _DOUBT.search(folded):
        rest = _ORDINARY_INJURY.sub(" ", plain)
        if not _SERIOUS.search(rest) and not re.search(r"\b(thuis|vader|moeder|stiefvader|stiefmoeder|"
                                                        r"oppas|vriend|man|ex)\b", rest):
            return True
    if _BULLYING.search(folded) and _SCHOOL_CONTEXT.search(folded) and not re.search(
            r"\b(thuis|dood|zelfmoord|mes|wapen|politie|112|niet meer leven|snij\w*|kras\w*)\b", folded):
        return True
    return False


#: Words about home and family, where a child's trouble usually lies.
_HOME = re.compile(r"\b(thuis|huis|ouders?|vader|moeder|papa|mama|pa|ma|stief\w*|broer\w*|zus\w*|opa|oma|oom|"
                   r"tante|familie|gezin|eten|honger|slapen|alleen|niemand)\b")


def bare_child_request(text: str) -> bool:
    """A message with nothing that makes it a child's call for help: no sign that a child writes, no
    sign of danger and no word about home ("ik wil met iemand praten", "kan ik iemand spreken").

    The crisis classifier learnt "a child wants to talk to someone" from children's messages; the
    same words from a parent on the school's site are a request for a person, not a crisis.
    """
    folded = fold(text)
    return not writes_as_child(text) and not _SERIOUS.search(folded) and not _HOME.search(folded)


#: A message that was not understood, but that the crisis classifier (wegwijs/nlp/crisis_classifier.py)
#: scores at least this likely a crisis, gets the general help-line message before the request to
#: rephrase: as likely a crisis as not. Below the classifier's own decision threshold (0.6).
DOUBT_SCORE = 0.5


def in_doubt(parse_data: Dict) -> bool:
    """Whether a message that fell back still deserves the help lines first (see :data:`DOUBT_SCORE`).

    Not when the NLU safety layer judged the message a look-alike (``wegwijs.nlp.safety_override``).
    """
    if (parse_data.get("safety_override") or {}).get("reason") == "look-alike":
        return False
    return float((parse_data.get("crisis") or {}).get("score") or 0) >= DOUBT_SCORE


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), ``limit + 1`` once it is past ``limit``
    (rapidfuzz, which Rasa already installs)."""
    from rapidfuzz.distance import OSA

    return int(OSA.distance(a, b, score_cutoff=limit))


def _fuzzy_kinds(words: Iterable[str]) -> List[str]:
    kinds = []
    for word in words:
        if len(word) < 6:
            continue
        for key, kind in _FUZZY_WORDS.items():
            limit = 1 if len(key) < 9 else 2
            if word[:2] == key[:2] and edit_distance(word, key, limit) <= limit:
                kinds.append(kind)
    return kinds


def writes_as_child(text: str) -> bool:
    """Whether the writer says it is a child ("ik ben 12", "ik zit in groep 7", "mijn vader slaat me")."""
    return child_age(text) is not None or bool(_CHILD_MARKERS.search(fold(text)))


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
    # "now" + a violent verb is acute, unless it is about pupils at school (below).
    now_violence = bool(_NOW.search(plain) and _VIOLENCE_NOW.search(plain))
    if now_violence:
        found.add(ACUTE_DANGER)
    calls_for_help = bool(re.search(r"\b(help|hulp|snel|112|politie)\b", plain))
    strong = found - {DOMESTIC_VIOLENCE, CHILD_ABUSE} - ({ACUTE_DANGER} if now_violence and not calls_for_help
                                                         and not any(p.search(plain) for p in
                                                                     _PATTERNS[ACUTE_DANGER]) else set())
    if _SCHOOL_CONTEXT.search(plain) and not strong:
        # Hitting among pupils at school is bullying (mentor, school), not violence at home,
        # unless the message also names sexual abuse or neglect.
        sexual = re.search(r"misbruik|aanrand|verkracht|betast|verwaarloos|naaktfoto|grooming|brandwond|"
                           r"sigaret", plain)
        if not sexual and not re.search(r"\bthuis\b|\b(papa|mama|stiefvader|stiefmoeder)\b|" + _MY + r" "
                                        + _FAMILY + r"\b", plain):
            found.clear()
    child_writing = child_age(text) is not None or bool(_CHILD_MARKERS.search(plain))
    if child_writing and (found - {ACUTE_DANGER, SUICIDE} or not found):
        found.add(CHILD_USER)
    for kind in PRIORITY:
        if kind in found:
            return kind
    return None
