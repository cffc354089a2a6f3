"""Fuzz harness: cmi5 launch parameters (the launch URL an LMS builds) through
``Cmi5Launch.from_url`` and the statements made with them."""

from __future__ import annotations

import json
import random
from pathlib import Path
from urllib.parse import quote, urlencode

from attempt_factory import make_record
from mutators import NUMBER_TOKENS, byte_mutation

from vrtrainer.results.cmi5 import Cmi5Launch
from vrtrainer.results.statements import attempt_statements

NAME = "cmi5"
_RECORD = make_record(1)
_PARTS = ("endpoint", "fetch", "actor", "registration", "activityId")
_VALUES = ("", "http://", "https://lms.example/xapi/", "ftp://x", "javascript:alert(1)",
           "[" * 3000, "{" * 50, '{"mbox": "mailto:a@b.c"}', '{"account": {}}', "null",
           "00000000-0000-0000-0000-000000000000", "urn:uuid:1", "%00", "%ZZ", "&&&", "=",
           "x" * 5000, '{"mbox": 1, "openid": 2}', '{"objectType": "Group", "mbox": "x"}')


def seeds() -> list[bytes]:
    actor = json.dumps({"objectType": "Agent", "account": {"homePage": "https://lms.example",
                                                           "name": "learner-7"}})
    query = urlencode({"endpoint": "https://lms.example/xapi/",
                       "fetch": "https://lms.example/fetch/1", "actor": actor,
                       "registration": "1c2b7a4e-8d0f-4b6c-9a3e-5f1d2c3b4a59",
                       "activityId": "https://lms.example/au/7"})
    return [f"https://vr.example/launch?{query}".encode(), query.encode()]


def mutate(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", "replace")
    op = rng.randrange(4)
    if op == 0:
        key = rng.choice(_PARTS)
        value = rng.choice(_VALUES + NUMBER_TOKENS)
        return (text + "&" + key + "=" + quote(value, safe="")).encode()
    if op == 1 and "&" in text:
        parts = text.split("&")
        parts.pop(rng.randrange(len(parts)))
        return "&".join(parts).encode()
    if op == 2:
        key = rng.choice(_PARTS)
        value = quote(rng.choice(_VALUES), safe="")
        return text.replace(key + "=", key + "=" + value, 1).encode()
    return byte_mutation(data, rng)


def prepare(data: bytes, work: Path) -> str:
    return data.decode("utf-8", "surrogateescape")


def load(url: str) -> None:
    launch = Cmi5Launch.from_url(url)
    attempt_statements(_RECORD, launch=launch)
