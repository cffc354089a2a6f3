"""The words of the HTML reports, in French and English.

Reports are read by trainees and trainers in French-speaking training centres first, so
French is the default; every key exists in both languages (a test checks it).
"""

from __future__ import annotations

from vrtrainer.errors import VrtrainerError
from vrtrainer.language import LANGUAGES  # noqa: E402  one list for the whole program

TEXTS: dict[str, dict[str, str]] = {
    "attempt_title": {"fr": "Rapport de tentative", "en": "Attempt report"},
    "trainee_title": {"fr": "Progression de l'apprenant", "en": "Trainee progress"},
    "group_title": {"fr": "Rapport de groupe", "en": "Group report"},
    "trainee": {"fr": "Apprenant", "en": "Trainee"},
    "trainees": {"fr": "Apprenants", "en": "Trainees"},
    "passed_some": {"fr": "ont réussi une étape", "en": "passed a step"},
    "scenario": {"fr": "Scénario", "en": "Scenario"},
    "version": {"fr": "version", "en": "version"},
    "step": {"fr": "Étape", "en": "Step"},
    "attempt": {"fr": "Tentative", "en": "Attempt"},
    "date": {"fr": "Date", "en": "Date"},
    "duration": {"fr": "Durée", "en": "Duration"},
    "device": {"fr": "Casque", "en": "Headset"},
    "runtime": {"fr": "Runtime OpenXR", "en": "OpenXR runtime"},
    "take": {"fr": "Enregistrement", "en": "Recording"},
    "score": {"fr": "Score", "en": "Score"},
    "passed": {"fr": "Réussi", "en": "Passed"},
    "failed": {"fr": "Non réussi", "en": "Not passed"},
    "rejected": {"fr": "Geste non reconnu", "en": "Gesture not recognised"},
    "breakdown": {"fr": "Détail du score", "en": "Score breakdown"},
    "component": {"fr": "Composante", "en": "Component"},
    "weight": {"fr": "Poids", "en": "Weight"},
    "shape": {"fr": "Forme du geste", "en": "Shape"},
    "timing": {"fr": "Rythme", "en": "Timing"},
    "economy": {"fr": "Économie de mouvement", "en": "Economy of motion"},
    "steadiness": {"fr": "Stabilité", "en": "Steadiness"},
    "coverage": {"fr": "Suivi des mains", "en": "Tracking coverage"},
    "gesture_score": {"fr": "Score du geste", "en": "Gesture score"},
    "messages": {"fr": "À corriger", "en": "What to fix"},
    "no_messages": {"fr": "Rien à signaler.", "en": "Nothing to report."},
    "tempo": {"fr": "Tempo (1 = comme l'expert)", "en": "Tempo (1 = as the expert)"},
    "hesitations": {"fr": "Hésitations", "en": "Hesitations"},
    "fingers": {"fr": "Par partie de la main", "en": "Per part of the hand"},
    "part": {"fr": "Partie", "en": "Part"},
    "phases": {"fr": "Par phase", "en": "Per phase"},
    "phase": {"fr": "Phase", "en": "Phase"},
    "from_to": {"fr": "De – à (s)", "en": "From – to (s)"},
    "worst_part": {"fr": "Partie la plus faible", "en": "Weakest part"},
    "criteria": {"fr": "Critères", "en": "Criteria"},
    "criterion": {"fr": "Critère", "en": "Criterion"},
    "message": {"fr": "Message", "en": "Message"},
    "trade": {"fr": "Critères du métier", "en": "Trade criteria"},
    "metric": {"fr": "Mesure", "en": "Metric"},
    "value": {"fr": "Valeur", "en": "Value"},
    "band": {"fr": "Plage", "en": "Band"},
    "ideal": {"fr": "Idéal", "en": "Ideal"},
    "in_band": {"fr": "Temps dans la plage", "en": "Time in band"},
    "band_score": {"fr": "Score de plage", "en": "Band score"},
    "verdict": {"fr": "Verdict", "en": "Verdict"},
    "verdict_ok": {"fr": "dans la plage", "en": "in band"},
    "verdict_low": {"fr": "trop bas", "en": "too low"},
    "verdict_high": {"fr": "trop haut", "en": "too high"},
    "verdict_unsteady": {"fr": "irrégulier", "en": "unsteady"},
    "verdict_no-data": {"fr": "non mesuré", "en": "not measured"},
    "time_s": {"fr": "Temps (s)", "en": "Time (s)"},
    "band_area": {"fr": "plage acceptée", "en": "accepted band"},
    "hand_map": {"fr": "Erreur par articulation", "en": "Error per joint"},
    "hand_map_caption": {
        "fr": "Main vue de dos. Couleur : écart moyen à l'expert, en tolérances "
        "(vert : dans la tolérance, rouge : au-delà de deux fois). Gris : non évalué.",
        "en": "Hand seen from the back. Colour: mean deviation from the expert, in "
        "tolerances (green: within tolerance, red: beyond twice it). Grey: not scored.",
    },
    "error_tol": {"fr": "écart / tolérance", "en": "error / tolerance"},
    "left": {"fr": "Main gauche", "en": "Left hand"},
    "right": {"fr": "Main droite", "en": "Right hand"},
    "moments": {"fr": "Moments les plus éloignés de l'expert",
                "en": "Moments furthest from the expert"},
    "moments_caption": {
        "fr": "Mains de l'apprenant colorées par écart (vert, orange, rouge) ; fantôme "
        "translucide : l'expert au même moment du geste, placé au poignet de l'apprenant.",
        "en": "Trainee's hands coloured by deviation (green, orange, red); translucent "
        "ghost: the expert at the same moment of the gesture, placed at the trainee's wrist.",
    },
    "moment_at": {"fr": "À {t:.2f} s (expert : {e:.2f} s), qualité {q:.0f} %",
                  "en": "At {t:.2f} s (expert: {e:.2f} s), quality {q:.0f}%"},
    "all_within": {"fr": "À aucun moment une articulation ne s'écarte de l'expert de plus "
                          "que la tolérance.",
                   "en": "At no moment does any joint depart from the expert by more than "
                         "the tolerance."},
    "worst_joints": {"fr": "Plus grands écarts", "en": "Largest deviations"},
    "no_moments": {"fr": "Images non disponibles : {why}.", "en": "Images not available: {why}."},
    "take_missing": {"fr": "l'enregistrement {path} est introuvable",
                     "en": "the recording {path} cannot be found"},
    "take_changed": {"fr": "l'enregistrement {path} a changé depuis la notation",
                     "en": "the recording {path} changed since it was scored"},
    "reference_missing": {"fr": "la référence {path} est introuvable",
                          "en": "the reference {path} cannot be found"},
    "reference_changed": {"fr": "la référence {path} a changé depuis la notation",
                          "en": "the reference {path} changed since it was scored"},
    "no_take": {"fr": "aucun enregistrement associé", "en": "no recording attached"},
    "no_reference": {"fr": "référence experte indisponible ({why})",
                     "en": "expert reference unavailable ({why})"},
    "no_renderer": {"fr": "rendu impossible ({why})", "en": "cannot render ({why})"},
    "details": {"fr": "Détails techniques", "en": "Technical details"},
    "learning_curve": {"fr": "Courbe d'apprentissage", "en": "Learning curve"},
    "learning_caption": {
        "fr": "Score de chaque tentative dans le temps, par scénario et étape. "
        "Point plein : réussi ; point creux : non réussi.",
        "en": "Score of each attempt over time, per scenario and step. "
        "Filled dot: passed; hollow dot: not passed.",
    },
    "pass_mark": {"fr": "seuil de réussite", "en": "pass mark"},
    "attempts": {"fr": "Tentatives", "en": "Attempts"},
    "attempt_count": {"fr": "Nombre de tentatives", "en": "Number of attempts"},
    "best": {"fr": "Meilleur", "en": "Best"},
    "best_not_passed": {"fr": "Meilleur, pas encore réussi", "en": "Best, not passed yet"},
    "last": {"fr": "Dernier", "en": "Last"},
    "no_attempts": {"fr": "Aucune tentative enregistrée.", "en": "No attempt stored."},
    "summary": {"fr": "Synthèse", "en": "Summary"},
    "group_caption": {
        "fr": "Meilleur et dernier score par apprenant et scénario ; ✔ : réussi au moins une "
        "fois.",
        "en": "Best and last score per trainee and scenario; ✔: passed at least once.",
    },
    "generated": {"fr": "Généré par vrtrainer {v} le {d}", "en": "Made by vrtrainer {v} on {d}"},
    "yes": {"fr": "oui", "en": "yes"},
    "no": {"fr": "non", "en": "no"},
    "seconds": {"fr": "{v:.1f} s", "en": "{v:.1f} s"},
    "mirrored": {"fr": "Comparé à l'expert en miroir (main opposée)",
                 "en": "Compared with the mirrored expert (other hand)"},
    "template": {"fr": "Référence", "en": "Reference"},
    "mismatch": {"fr": "Écart global (tolérances)", "en": "Overall mismatch (tolerances)"},
    "jitter": {"fr": "Tremblement (mm)", "en": "Jitter (mm)"},
    "skipped": {"fr": "Phases sautées", "en": "Skipped phases"},
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if reports exist in it, else refuse it."""
    if lang not in LANGUAGES:
        raise VrtrainerError(f"report language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return lang


def text(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang``, formatted with ``values`` when given."""
    words = TEXTS[key][lang]
    return words.format(**values) if values else words


# The comparator's words in French live beside the comparator, for the cue panel as much as
# for reports; re-exported here for the report modules.
from vrtrainer.compare.wording import (  # noqa: E402
    comparator_message as comparator_message,
)
from vrtrainer.compare.wording import joint_label as joint_label  # noqa: E402
from vrtrainer.compare.wording import part_label as part_label  # noqa: E402
