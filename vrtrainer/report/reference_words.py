"""The words of the reference-build report (terminal tables and HTML page), French and English.

The comparator describes takes and parts in English (``status``, ``why``, the rejection
calibration's method, source and warnings, which are stored in the reference); this puts
them in the trainer's language where they are shown, with decimal commas in French.
"""

from __future__ import annotations

import re

from vrtrainer.compare.wording import part_label

WORDS: dict[str, dict[str, str]] = {
    "take": {"fr": "prise", "en": "take"},
    "frames": {"fr": "images", "en": "frames"},
    "mismatch": {"fr": "écart", "en": "mismatch"},
    "used": {"fr": "utilisée", "en": "used"},
    "yes": {"fr": "oui", "en": "yes"},
    "outlier_out": {"fr": "aberrante, écartée", "en": "outlier - left out"},
    "to_reference": {"fr": "à la référence", "en": "to reference"},
    "to_others": {"fr": "aux autres", "en": "to others"},
    "status": {"fr": "état", "en": "status"},
    "consistency_title": {
        "fr": "Cohérence (distance DTW normalisée, en tolérances)",
        "en": "Consistency (normalised DTW distance, in tolerances)"},
    "part": {"fr": "partie", "en": "part"},
    "tolerance": {"fr": "tolérance", "en": "tolerance"},
    "noise_floor": {"fr": "plancher de bruit", "en": "noise floor"},
    "spread": {"fr": "dispersion des experts", "en": "experts' spread"},
    "spread_sd": {"fr": "dispersion des experts (écart type)",
                  "en": "experts' spread (sd)"},
    "widest_phase": {"fr": "phase la plus large", "en": "widest phase"},
    "floor_x": {"fr": "x le plancher", "en": "x floor"},
    "why": {"fr": "pourquoi", "en": "why"},
    "variation_title": {"fr": "La variation propre des experts",
                        "en": "The experts' own variation"},
    "phase_n": {"fr": "phase {k} ({a}-{b} s)", "en": "phase {k} ({a}-{b} s)"},
    "reference": {"fr": "Référence", "en": "Reference"},
    "summary": {
        "fr": "{path} : {frames} images, {duration} s, {phases} phases, {hand}, construite à "
              "partir de {used} prises d'expert sur {n}. Tolérance = hypot(plancher de bruit, "
              "{factor} x la dispersion des experts) ; plancher de bruit {cm} cm, {deg} degrés.",
        "en": "{path}: {frames} frames, {duration} s, {phases} phases, {hand}, built from "
              "{used} of {n} expert takes. Tolerance = hypot(noise floor, {factor} x the "
              "experts' spread); noise floor {cm} cm, {deg} degrees."},
    "right_handed": {"fr": "pour droitiers", "en": "right-handed"},
    "left_handed": {"fr": "pour gauchers", "en": "left-handed"},
    "mirror_note": {"fr": "Référence en miroir pour les apprenants {hand} :",
                    "en": "Mirrored reference for {hand} trainees:"},
    "consistency_h": {"fr": "Cohérence des prises", "en": "Consistency of the takes"},
    "all_consistent": {"fr": "Toutes les prises sont cohérentes entre elles.",
                       "en": "All takes are consistent with each other."},
    "flagged": {"fr": "Signalées : {which}. Une prise signalée encore utilisée élargit la "
                      "tolérance : envisagez de reconstruire sans elle.",
                "en": "Flagged: {which}. A flagged take that is still used widens the "
                      "tolerance: consider rebuilding without it."},
    "distances_note": {
        "fr": "Les distances sont des distances DTW normalisées : la moyenne quadratique, sur "
              "les images alignées et les canaux, de la différence, en tolérances typiques de "
              "la référence (1 = à une tolérance). « Diffère sur » nomme une partie du corps "
              "où une prise est plus de deux fois plus loin des autres qu'elles ne le sont "
              "entre elles, et au-delà du plancher de bruit ; une prise aberrante est écartée "
              "de la référence.",
        "en": "Distances are normalised DTW distances: the RMS over aligned frames and "
              "channels of the difference, in the reference's typical tolerances (1 = one "
              "tolerance apart). \"Differs in\" names a body part where a take is over twice "
              "as far from the others as they are from each other, and beyond the noise "
              "floor; an outlier is left out of the reference."},
    "take_vs_take": {"fr": "Prise contre prise", "en": "Take against take"},
    "telling_h": {"fr": "Distinguer ce geste des autres",
                  "en": "Telling this gesture from others"},
    "not_calibrated": {"fr": "Le rejet n'est pas calibré.",
                       "en": "Rejection is not calibrated."},
    "per_phase_h": {"fr": "Tolérance par phase (90e centile), en multiple du plancher de bruit",
                    "en": "Tolerance per phase (90th percentile), as a multiple of the noise "
                          "floor"},
    "per_phase_note": {
        "fr": "1,00x : les experts sont d'accord et la tolérance est le plancher de bruit du "
              "capteur ; au-dessus, les experts varient et l'apprenant a la même latitude.",
        "en": "1.00x: the experts agree there and the tolerance is the sensor noise floor; "
              "above, the experts vary and the trainee is allowed as much."},
    "tol_caption": {"fr": "Tolérance de position par doigt au fil du temps de la référence.",
                    "en": "Position tolerance per finger over the reference's time."},
    "env_caption": {
        "fr": "Enveloppe de tolérance par doigt : la flexion moyenne de la référence (vert "
              "foncé) avec sa bande de tolérance, chaque prise alignée sur elle (prises "
              "signalées en tirets rouges).",
        "en": "Tolerance envelope per finger: the reference's mean flexion (dark green) with "
              "its tolerance band, every take aligned to it (flagged takes dashed red)."},
    "calibration": {
        "fr": "Un autre geste est rejeté au-delà d'un écart de {threshold}, fixé d'après la "
              "distance de chaque expert à une référence construite sans lui ({method}) et "
              "d'après {source}.",
        "en": "Another gesture is rejected beyond a mismatch of {threshold}, set from how far "
              "each expert lands from a reference built without them ({method}) and from "
              "{source}."},
    "expected": {
        "fr": "Part attendue de prises correctes de nouvelles personnes rejetées : {share} %",
        "en": "Expected share of correct takes by new people that this rejects: {share}%"},
    "negatives_close": {"fr": " ; autres gestes aussi proches que les experts : {share} %.",
                        "en": "; other gestures as close as the experts: {share}%."},
    "warning": {"fr": "Attention : {w}", "en": "Warning: {w}"},
    "ref_time": {"fr": "temps de la référence (s)", "en": "reference time (s)"},
    "ref_time_phases": {"fr": "temps de la référence (s) ; pointillés : phases",
                        "en": "reference time (s); dotted lines: phases"},
    "tolerance_cm": {"fr": "tolérance (cm)", "en": "tolerance (cm)"},
    "flexion_deg": {"fr": "flexion (degrés)", "en": "flexion (deg)"},
    "reference_curve": {"fr": "référence", "en": "reference"},
    "wrote": {"fr": "écrit : {path}", "en": "wrote {path}"},
    "built": {"fr": "référence « {name} » : {frames} images, {duration} s, {phases} phases "
                    "(limites {bounds}), {hand}",
              "en": "reference {name!r}: {frames} frames, {duration} s, {phases} phases "
                    "(boundaries {bounds}), {hand}"},
    "no_bounds": {"fr": "aucune", "en": "none"},
    "rejected_beyond": {
        "fr": "autres gestes rejetés au-delà d'un écart de {threshold} (calibré {method} sur "
              "les experts, face à {source}) ; part attendue de prises correctes rejetées : "
              "{share} %",
        "en": "other gestures rejected beyond a mismatch of {threshold} (calibrated {method} "
              "on the experts, against {source}); expected share of correct takes rejected: "
              "{share}%"},
    "direction": {
        "fr": "direction dans la pièce : {counts} (les têtes des experts regardaient dans des "
              "directions jusqu'à {deg} degrés d'écart ; règle {rule})",
        "en": "direction in the room: {counts} (the experts' heads faced directions up to "
              "{deg} degrees apart; rule {rule})"},
    "counts": {"fr": "compte", "en": "counts"},
    "not_counts": {"fr": "ne compte pas", "en": "does not count"},
    "wrote_mirror": {"fr": "écrit : {path} (en miroir, pour les apprenants {hand})",
                     "en": "wrote {path} (mirrored, for {hand} trainees)"},
}


def word(key: str, lang: str, **values: object) -> str:
    """The report's ``key`` in ``lang`` (English for a language it does not have)."""
    entry = WORDS[key]
    return entry.get(lang, entry["en"]).format(**values)


def number(value: float, digits: int, lang: str) -> str:
    """A number with ``digits`` decimals, a decimal comma in French."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def handed(hand: str, lang: str) -> str:
    """'right-handed' / 'pour droitiers'."""
    return word("left_handed" if hand == "left" else "right_handed", lang)


def trainees_of(hand: str, lang: str) -> str:
    """'left-handed' / 'gauchers' as the trainees a mirrored reference is for."""
    if lang != "fr":
        return f"{hand}-handed"
    return "gauchers" if hand == "left" else "droitiers"


_COMMA = re.compile(r"(\d)\.(\d)")


def commas(text: str, lang: str) -> str:
    """Decimal points between digits as commas in French."""
    return _COMMA.sub(r"\1,\2", text) if lang == "fr" else text


def status_text(status: str, lang: str) -> str:
    """A take's consistency status ('consistent', 'differs in right index'...) in ``lang``."""
    if lang != "fr":
        return status
    out = []
    for piece in status.split("; "):
        if piece == "consistent":
            out.append("cohérente")
        elif piece == "outlier - left out":
            out.append(word("outlier_out", lang))
        elif piece == "far from the others":
            out.append("loin des autres")
        elif piece.startswith("differs in "):
            parts = piece.removeprefix("differs in ").split(", ")
            out.append("diffère sur " + ", ".join(part_label(p, lang) for p in parts))
        else:
            out.append(piece)
    return "; ".join(out)


def why_text(why: str, lang: str) -> str:
    """Why a part's tolerance is what it is, in ``lang``."""
    if lang != "fr":
        return why
    m = re.fullmatch(r"the experts vary: widest in phase (\d+), ([\d.]+)x the noise floor", why)
    if m:
        return (f"les experts varient : au plus large en phase {m[1]}, "
                f"{commas(m[2], lang)}x le plancher de bruit")
    return {"the experts vary more than the noise floor throughout":
            "les experts varient plus que le plancher de bruit tout du long",
            "the experts agree: the tolerance is the noise floor":
            "les experts sont d'accord : la tolérance est le plancher de bruit"}.get(why, why)


_METHODS_FR = {"leave-one-person-out": "une personne laissée de côté à la fois",
               "leave-one-take-out": "une prise laissée de côté à la fois",
               "none (one take)": "aucune (une seule prise)"}


def calibration_text(text: str, lang: str) -> str:
    """The calibration's method, negative source or a warning, in ``lang``."""
    if lang != "fr":
        return text
    if text in _METHODS_FR:
        return _METHODS_FR[text]
    m = re.fullmatch(r"(\d+) (real|simulated) takes of other gestures", text)
    if m:
        kind = "réelles" if m[2] == "real" else "simulées"
        return f"{m[1]} prises {kind} d'autres gestes"
    m = re.fullmatch(r"built from (\d+) takes? of (\d+) (?:person|people): other people's "
                     r"correct gestures may be rejected or scored low; record at least (\d+) "
                     r"takes of (\d+) or more people", text)
    if m:
        return (f"construite à partir de {m[1]} prise(s) de {m[2]} personne(s) : les gestes "
                f"corrects d'autres personnes peuvent être rejetés ou mal notés ; enregistrez "
                f"au moins {m[3]} prises de {m[4]} personnes ou plus")
    m = re.fullmatch(r"(\d+)% of the other gestures are as close to this reference as its own "
                     r"experts: they may pass", text)
    if m:
        return (f"{m[1]} % des autres gestes sont aussi proches de cette référence que ses "
                f"propres experts : ils pourraient réussir")
    return commas(text, lang)
