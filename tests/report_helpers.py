"""Stores of attempts for the report tests, and a look inside the pages they make.

The breakdowns in tests/data/report are real comparator and trade-judge outputs (a
simulated pinch with the wrong finger, a slow one, a weld with the torch too steep),
recorded once so that the page tests need neither the comparator nor a take.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from vrtrainer.results import AttemptRecord, ResultsStore

DATA = Path(__file__).parent / "data" / "report"
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
HOSTILE = "<script>alert('x')</script>&\"Zoé\""


def breakdown(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


def record(n: int, name: str, trainee: str = "T-001", **fields) -> AttemptRecord:
    """Attempt ``n`` (ordering in time) with the stored breakdown ``name``."""
    start = T0 + timedelta(days=n)
    values = dict(trainee=trainee, scenario_id="gesture/pinch", scenario_version="builtin",
                  step="1", started_at=start, ended_at=start + timedelta(seconds=3.5),
                  attempt_uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"report/{n}/{trainee}")),
                  device="Quest 3", runtime="Monado 25")
    values.update(fields)
    return AttemptRecord.from_breakdown(breakdown(name), **values)


def fill_store(path: Path) -> ResultsStore:
    """Three trainees, two scenarios; one trainee's name and scenario are hostile."""
    store = ResultsStore.open(path)
    store.record_attempt(record(0, "pinch_wrong_finger"))
    store.record_attempt(record(1, "pinch_slow"))
    store.record_attempt(record(2, "pinch_wrong_finger", trainee="T-002",
                                trainee_name="Bob"))
    store.record_attempt(record(3, "welding_work_angle_high", scenario_id="welding-fillet",
                                scenario_version="1.0.0", step="2"))
    store.record_attempt(record(4, "pinch_slow", trainee=HOSTILE, trainee_name=HOSTILE,
                                scenario_id=f"evil/{HOSTILE}"))
    return store


class PageParser(HTMLParser):
    """Tags, ids, images and visible text of a page (what the tests look for)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.images: list[dict[str, str]] = []
        self.pictograms: list[dict[str, str]] = []  # advice pictograms, apart from figures
        self.text: list[str] = []
        self.scripts = 0
        self.external: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "script":
            self.scripts += 1
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "img":
            (self.pictograms if a.get("class") == "pictogram" else self.images).append(a)
        for key in ("src", "href"):
            value = a.get(key) or ""
            if value and not value.startswith(("data:", "#")):
                self.external.append(value)
        if tag == "link":
            self.external.append(a.get("href", ""))

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.text.append(data.strip())

    @property
    def visible(self) -> str:
        return " ".join(self.text)


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    return parser


def image_bytes(img: dict[str, str]) -> tuple[str, bytes]:
    """(mime, bytes) of an <img> with a base64 data URI."""
    match = re.fullmatch(r"data:([a-z/+]+);base64,([A-Za-z0-9+/=]+)", img["src"])
    assert match, img["src"][:60]
    return match[1], base64.b64decode(match[2])


def store_scored_attempt(store: ResultsStore, folder: Path, target: str, step: int = 1, *,
                         trainee: str = "T-001", day: int = 0, flaws: tuple[str, ...] = (),
                         fault: str | None = None, seed: int = 5) -> int:
    """Simulate a trainee on step ``step`` of ``target``, score it as the session does
    (the step's own coach), save the take, keep the reference as the session does and
    store the attempt; returns its id."""
    from vrtrainer.hands import sim
    from vrtrainer.results.records import sha256_file
    from vrtrainer.session.plan import steps_for
    from vrtrainer.session.references import keep_reference
    from vrtrainer.takes.take import save_take

    chosen = steps_for(target)[step - 1]
    parsed = [sim.parse_flaw(f) for f in flaws]
    if hasattr(chosen, "simulate_trainee"):
        take = chosen.simulate_trainee(flaws=parsed, seed=seed, fault=fault)
    else:
        take = sim.simulate(target, role="trainee", flaws=parsed, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    slug = uuid.uuid5(uuid.NAMESPACE_URL, trainee).hex[:8]  # a name may hold any character
    path = folder / f"{target}-{step}-{slug}-{day}.vrtake"
    save_take(take, path)
    score = chosen.coach.final(take)
    reference = keep_reference(chosen, folder)
    start = T0 + timedelta(days=day)
    return store.record_attempt(AttemptRecord.from_score(
        score, [], trainee=trainee, scenario_id=chosen.scenario_id,
        scenario_version=chosen.scenario_version or "0", step=str(step), started_at=start,
        ended_at=start + timedelta(seconds=take.duration), take_path=str(path.resolve()),
        take_sha256=sha256_file(path), reference_path=str(reference.resolve()),
        reference_sha256=sha256_file(reference), device="simulated", runtime="vrtrainer sim"))
