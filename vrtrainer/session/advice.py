"""What kind of advice a feedback line gives, so a pictogram can show it to those who read little.

Advice comes as words from several places (the comparator's messages, a
scenario's trade advice in French or English, the live coach); this reads
the words once and names the one correction they ask for: go slower, go
faster, be steadier, hand higher or lower, change the angle, open or close
the fingers, or show your hands (tracking lost). Unknown advice has no kind
and no pictogram, rather than a wrong one.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: The verdict in words (passed, not passed, not the gesture): shown on the panel and spoken.
VERDICT_TEXT = {"fr": ("Réussi", "À reprendre", "Geste non reconnu"),
                "en": ("Passed", "Try again", "Gesture not recognised")}

#: Every kind of advice that has a pictogram (assets/pictograms/<kind>.png).
KINDS = ("slower", "faster", "steadier", "higher", "lower", "angle", "finger_open",
         "finger_closed", "tracking_lost")

#: What each pictogram means, said by a screen reader (the report's alt texts).
KIND_WORDS = {
    "slower": {"fr": "Plus lentement", "en": "Slower"},
    "faster": {"fr": "Plus vite", "en": "Faster"},
    "steadier": {"fr": "Plus stable", "en": "Steadier"},
    "higher": {"fr": "Main plus haut", "en": "Hand higher"},
    "lower": {"fr": "Main plus bas", "en": "Hand lower"},
    "angle": {"fr": "Corrigez l'angle", "en": "Correct the angle"},
    "finger_open": {"fr": "Ouvrez les doigts", "en": "Open the fingers"},
    "finger_closed": {"fr": "Fermez les doigts", "en": "Close the fingers"},
    "tracking_lost": {"fr": "Mains non suivies", "en": "Hands not tracked"},
}

# Tried in order: the first pattern found in the (accent-free, lower-case) text wins.
_RULES: tuple[tuple[str, str], ...] = (
    ("tracking_lost", r"tracking lost|suivi (des mains )?perdu|ne vois plus|cannot see your hand"
                      r"|mains? (non|pas) (vues?|suivies?)|hand not tracked"),
    ("finger_open", r"too closed|trop fermes?|ouvrez|open (your|the) (hand|finger)"),
    ("finger_closed", r"too open|trop ouverts?|fermez|close (your|the) (hand|finger)"),
    # "20% slower than the expert": the trainee must speed up, and the reverse.
    ("faster", r"slower than the expert|plus lent(e|ement)? que"),
    ("slower", r"faster than the expert|plus rapide(ment)? que|plus vite que"),
    ("steadier", r"unsteady|jitter|tremble|instable|steadier|plus stable|temps d'arret"
                 r"|\bpause\b|immobile|hold still"),
    ("slower", r"slow down|\bslower\b|ralentis|plus lentement|too fast|trop vite|rushed"
               r"|precipit"),
    ("faster", r"\bfaster\b|plus vite|accelere|too slow|trop lent|hesitat"),
    ("higher", r"\braise\b|relevez|\bhigher\b|plus haut|montez|remontez"),
    ("lower", r"\blower (the|your)\b|abaissez|baissez|plus bas|descendez"),
    ("angle", r"angle|\btilt|inclin|turned|tourne|straighten|redress|degre"),
)
_COMPILED = tuple((kind, re.compile(pattern)) for kind, pattern in _RULES)


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=512)
def advice_kind(text: str) -> str:
    """The kind of correction ``text`` asks for (one of :data:`KINDS`), or '' if unknown."""
    plain = _plain(text or "")
    for kind, pattern in _COMPILED:
        if pattern.search(plain):
            return kind
    return ""


def add_pictogram(cues, session, phase) -> None:
    """Presenter hook: show the pictogram of the panel's feedback line (none if no advice)."""
    cues.pictogram = advice_kind(cues.message)
