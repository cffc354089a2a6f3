"""The comparator's explanations and body-part names in the trainee's language.

The comparator (:mod:`vrtrainer.compare.score`) explains in English; the cue panel,
the feedback, the results and the reports show those explanations in the chosen
language through :func:`comparator_message`. French adjectives agree with their noun:
*index droit*, *poignet gauche*, *paume droite*; numbers take a decimal comma.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: Finger and hand part -> (French noun, feminine?)
_NOUNS_FR = {"thumb": ("pouce", False), "index": ("index", False), "middle": ("majeur", False),
             "ring": ("annulaire", False), "little": ("auriculaire", False),
             "wrist": ("poignet", False), "palm": ("paume", True), "hand": ("main", True)}
_SIDES_FR = {"left": ("gauche", "gauche"), "right": ("droit", "droite")}


def _side_fr(side: str, feminine: bool) -> str:
    return _SIDES_FR[side][1 if feminine else 0]


def part_label(label: str, lang: str) -> str:
    """A comparator body part ('right index', 'left wrist', 'tool torch') in ``lang``."""
    if lang != "fr":
        return label
    words = label.split(" ")
    if words[0] == "tool":
        return "outil " + " ".join(words[1:])
    if len(words) == 2 and words[0] in _SIDES_FR and words[1] in _NOUNS_FR:
        noun, feminine = _NOUNS_FR[words[1]]
        return f"{noun} {_side_fr(words[0], feminine)}"
    return label


#: Joint segment -> (French pattern on the finger's name, English word)
_SEGMENTS = {"metacarpal": ("métacarpe {de}", "metacarpal"),
             "proximal": ("phalange proximale {de}", "proximal"),
             "intermediate": ("phalange intermédiaire {de}", "intermediate"),
             "distal": ("phalange distale {de}", "distal"),
             "tip": ("bout {de}", "tip")}


def _de(noun: str) -> str:
    """'de l'index', 'du pouce', 'de la paume'."""
    if noun[:1] in "aeiouyéèh":
        return f"de l'{noun}"
    return f"de la {noun}" if _NOUNS_FR.get(noun, ("", False))[1] else f"du {noun}"


def joint_label(key: str, lang: str) -> str:
    """'right.index_tip' as 'bout de l'index (main droite)' / 'index tip (right)'."""
    hand, _, joint = key.partition(".")
    finger, _, segment = joint.partition("_")
    if lang != "fr":
        name = f"{finger} {_SEGMENTS[segment][1]}" if segment in _SEGMENTS else (
            f"{finger} {segment}" if segment else finger)
        return f"{name} ({hand})" if hand else name
    noun = _NOUNS_FR.get(finger, (finger, False))[0]
    if segment in _SEGMENTS:
        name = _SEGMENTS[segment][0].format(de=_de(noun))
    elif segment:
        name = f"{noun} {segment}"
    else:
        name = noun
    side = _SIDES_FR[hand][1] if hand in _SIDES_FR else hand
    return f"{name} (main {side})" if hand else name


def joint_phrase(key: str, lang: str) -> str:
    """'right.index_tip' as a phrase for a caption: 'right index tip' /
    'bout de l'index droit' (the side agrees with the finger or part)."""
    hand, _, joint = key.partition(".")
    finger, _, segment = joint.partition("_")
    if lang != "fr":
        words = [hand, finger, _SEGMENTS[segment][1] if segment in _SEGMENTS else segment]
        return " ".join(w for w in words if w)
    noun, feminine = _NOUNS_FR.get(finger, (finger, False))
    side = _side_fr(hand, feminine) if hand in _SIDES_FR else hand
    if segment in _SEGMENTS:
        name = _SEGMENTS[segment][0].format(de=_de(noun))
    elif segment:
        name = f"{noun} {segment}"
    else:
        name = noun
    return f"{name} {side}".strip()


def _what_fr(what: str) -> tuple[str, bool]:
    """The French subject of a message and whether it is feminine."""
    if what == "hand path":
        return "trajet de la main", False
    what = what.removesuffix(" finger")
    words = what.split(" ")
    feminine = len(words) == 2 and _NOUNS_FR.get(words[1], ("", False))[1]
    return part_label(what, "fr"), bool(feminine)


def _comma(number: str) -> str:
    return number.replace(".", ",")


_SIDE_FR = {"right": "droite", "left": "gauche"}


def _angle_fr(m: re.Match[str]) -> str:
    what, feminine = _what_fr(m[1])
    how = ("fermé" if m[3] == "closed" else "ouvert") + ("e" if feminine else "")
    return f"{what} : {m[2]} degrés trop {how} pendant la phase {m[4]}"


#: The comparator's explanations (vrtrainer.compare.score) as French sentences; a message
#: that matches none is shown as it came.
_MESSAGES_FR: tuple[tuple[str, Callable[[re.Match[str]], str]], ...] = (
    (r"this does not look like (.+)",
     lambda m: f"ce geste ne ressemble pas à {m[1]}"),
    (r"part of phase (\d+) was skipped or rushed through",
     lambda m: f"une partie de la phase {m[1]} a été sautée ou faite trop vite"),
    (r"a movement of phase (\d+) was skipped",
     lambda m: f"un mouvement de la phase {m[1]} a été sauté"),
    (r"(.+) (\d+) degrees too (closed|open) during phase (\d+)", _angle_fr),
    (r"(.+) off by ([\d.]+) cm during phase (\d+)",
     lambda m: f"{_what_fr(m[1])[0]} : écart de {_comma(m[2])} cm pendant la phase {m[3]}"),
    (r"(.+) turned (\d+) degrees off during phase (\d+)",
     lambda m: f"{_what_fr(m[1])[0]} : orienté{'e' if _what_fr(m[1])[1] else ''} à {m[2]} "
               f"degrés de l'expert pendant la phase {m[3]}"),
    (r"(\d+)% (slower|faster) than the expert",
     lambda m: f"{m[1]} % plus {'lent' if m[2] == 'slower' else 'rapide'} que l'expert"),
    (r"hesitated ([\d.]+) s during phase (\d+)",
     lambda m: f"hésitation de {_comma(m[1])} s pendant la phase {m[2]}"),
    (r"hand is unsteady: ([\d.]+) mm of jitter",
     lambda m: f"main instable : {_comma(m[1])} mm de tremblement"),
    (r"more motion than the experts for the same work \((.+)\)",
     lambda m: "plus de mouvement que les experts pour le même travail ("
               + _comma(m[1].replace("path travelled", "trajet parcouru")
                        .replace("turning", "rotations").replace("gripping", "préhension")
                        .replace("separate movements", "mouvements distincts")) + ")"),
    (r"tracking lost for (\d+)% of the gesture \(not scored there\)",
     lambda m: f"suivi des mains perdu sur {m[1]} % du geste (non évalué à ces moments)"),
    (r"the (right|left) hand was never tracked: nothing to score",
     lambda m: f"la main {_SIDE_FR[m[1]]} n'a jamais été suivie : rien à évaluer"),
    (r"the (right|left) and (right|left) hands were never tracked: nothing to score",
     lambda m: f"les mains {_SIDE_FR[m[1]]} et {_SIDE_FR[m[2]]} n'ont jamais été suivies : "
               "rien à évaluer"),
    (r"the tools were never tracked: nothing to score",
     lambda m: "les outils n'ont jamais été suivis : rien à évaluer"),
    (r"the take lasts (\d+) s, (\d+) times the expert's ([\d.]+) s: too long to compare "
     r"\(at most (\d+) s\); trim it to the gesture \(vrtrainer trim\) or try again",
     lambda m: f"la prise dure {m[1]} s, {m[2]} fois le geste de l'expert "
               f"({_comma(m[3])} s) : trop longue pour être comparée (au plus {m[4]} s) ; "
               "coupez-la autour du geste (vrtrainer trim) ou recommencez"),
)


_VERDICTS = {"en": ("passed", "not passed", "not passed (another gesture)"),
             "fr": ("réussi", "non réussi", "non réussi (autre geste)")}


def verdict_word(passed: bool, rejected: bool = False, lang: str = "en") -> str:
    """'passed' / 'not passed' (or 'réussi' / 'non réussi'): one wording everywhere."""
    words = _VERDICTS.get(lang, _VERDICTS["en"])
    return words[0] if passed else words[2] if rejected else words[1]


def comparator_message(message: str, lang: str) -> str:
    """One of the comparator's explanations in ``lang`` (they are made in English)."""
    if lang != "fr":
        return message
    for pattern, french in _MESSAGES_FR:
        match = re.fullmatch(pattern, message)
        if match:
            return french(match)
    return message
