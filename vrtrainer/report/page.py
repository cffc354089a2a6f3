"""Building blocks of a self-contained HTML report: the page shell, tables, bars, images.

Every piece of text that did not come from this package (trainee names, scenario titles,
messages, paths) goes through :func:`esc`; numbers are formatted here. The page has its
CSS inline and no script or external resource, so it opens the same from a USB stick, an
e-mail attachment or a learning platform.
"""

from __future__ import annotations

import base64
import html
import math
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from vrtrainer.errors import VrtrainerError
from vrtrainer.files import atomic_output

#: Colours of the verdicts, also used by the tests that look at the rendered page's pixels.
PASS_COLOUR = "#1e7d3a"
FAIL_COLOUR = "#c0392b"
REJECT_COLOUR = "#6c3483"

#: Every (foreground, background, what) the page's CSS pairs, for the contrast check
#: (tests/test_report_access.py computes their WCAG ratios and checks that every
#: colour of :data:`CSS` is listed here). Text needs 4.5:1, graphics (bars) 3:1.
TEXT_COLOURS = (
    ("#1d2430", "#f4f5f7", "body text on the page"),
    ("#1d2430", "#ffffff", "text in a section"),
    ("#1d2430", "#eef0f4", "table headers"),
    ("#5a6474", "#ffffff", "labels, captions, muted text"),
    ("#5a6474", "#f4f5f7", "footer"),
    ("#ffffff", PASS_COLOUR, "passed badge"),
    ("#ffffff", FAIL_COLOUR, "not passed badge"),
    ("#ffffff", REJECT_COLOUR, "not the gesture badge"),
    (PASS_COLOUR, "#ffffff", "passed mark"),
    (FAIL_COLOUR, "#ffffff", "failed mark"),
    (REJECT_COLOUR, "#ffffff", "rejected mark"),
)
GRAPHIC_COLOURS = (
    ("#23843f", "#e6e8ee", "good score bar on its track"),
    ("#9c6700", "#e6e8ee", "middling score bar on its track"),
    (FAIL_COLOUR, "#e6e8ee", "low score bar on its track"),
)
#: Colours that draw no information (borders, tracks' own edges), exempt from the check.
DECORATION_COLOURS = ("#e1e4ea",)

CSS = f"""
*{{box-sizing:border-box}}
body{{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;margin:0;background:#f4f5f7;
color:#1d2430;line-height:1.4}}
main{{max-width:1000px;margin:0 auto;padding:24px}}
header.report{{display:flex;align-items:center;justify-content:space-between;gap:24px;
background:#fff;border-radius:8px;padding:20px 24px;margin-bottom:20px;
box-shadow:0 1px 3px rgba(0,0,0,.12)}}
h1{{font-size:26px;margin:0 0 8px 0}}
h2{{font-size:20px;margin:0 0 12px 0}}
h3{{font-size:16px;margin:12px 0 6px 0}}
section{{background:#fff;border-radius:8px;padding:18px 24px;margin-bottom:20px;
box-shadow:0 1px 3px rgba(0,0,0,.12)}}
dl.facts{{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}}
dl.facts dt{{color:#5a6474}}
dl.facts dd{{margin:0;overflow-wrap:anywhere}}
.badge{{min-width:190px;text-align:center;color:#fff;border-radius:10px;padding:14px 18px}}
.badge .total{{font-size:48px;font-weight:bold;line-height:1.1}}
.badge .verdict{{font-size:16px}}
.badge.pass{{background:{PASS_COLOUR}}}
.badge.fail{{background:{FAIL_COLOUR}}}
.badge.rejected{{background:{REJECT_COLOUR}}}
table{{border-collapse:collapse;width:100%;margin:4px 0 8px 0}}
th,td{{text-align:left;padding:5px 8px;border-bottom:1px solid #e1e4ea;vertical-align:top}}
th{{background:#eef0f4;font-weight:600}}
td.num,th.num{{text-align:right;font-variant-numeric:tabular-nums}}
td.num{{white-space:nowrap}}
table.trade td:last-child{{min-width:240px}}
.bar{{background:#e6e8ee;border-radius:4px;height:14px;width:220px;overflow:hidden}}
.bar span{{display:block;height:100%;border-radius:4px}}
.good{{background:#23843f}} .mid{{background:#9c6700}} .low{{background:{FAIL_COLOUR}}}
ul.messages{{margin:0;padding-left:20px}}
ul.messages li{{margin:3px 0}}
ul.messages img.pictogram{{width:28px;height:28px;vertical-align:middle;margin-right:8px}}
figure{{margin:8px 0 16px 0}}
figure img{{max-width:100%;height:auto;display:block;border:1px solid #e1e4ea;border-radius:4px}}
figcaption{{color:#5a6474;font-size:13px;margin-top:4px}}
.moments{{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}}
.ok{{color:{PASS_COLOUR};font-weight:bold}} .ko{{color:{FAIL_COLOUR};font-weight:bold}}
.rej{{color:{REJECT_COLOUR};font-weight:bold}}
.muted{{color:#5a6474}}
footer{{color:#5a6474;font-size:12px;text-align:center;padding:8px}}
"""


def esc(value: object) -> str:
    """``value`` as text safe inside HTML elements and quoted attributes."""
    return html.escape("" if value is None else str(value), quote=True)


#: The language of the page being built: French pages write decimal commas.
PAGE_LANGUAGE: ContextVar[str] = ContextVar("page_language", default="en")


@contextmanager
def page_language(lang: str) -> Iterator[None]:
    """Build a page in ``lang``: :func:`num` writes its numbers the way ``lang`` does."""
    token = PAGE_LANGUAGE.set(lang)
    try:
        yield
    finally:
        PAGE_LANGUAGE.reset(token)


def plain_text(fragment: str) -> str:
    """The words of an HTML fragment (line breaks as '; '), for an image's alt text."""
    no_tags = re.sub(r"<br\s*/?>", "; ", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", no_tags)).split())


def num(value: object, digits: int = 1, unit: str = "") -> str:
    """A number for a table cell ('–' when missing or not finite), in the page's language."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "–"
    if not math.isfinite(value):
        return "–"
    text = f"{value:.{digits}f}"
    if PAGE_LANGUAGE.get() == "fr":
        text = text.replace(".", ",")
    return f"{text}{unit}"


def level(score: float | None) -> str:
    """CSS class of a 0-100 score: good from 70 (the pass mark), mid from 50, else low."""
    if score is None or not math.isfinite(score):
        return "low"
    return "good" if score >= 70 else "mid" if score >= 50 else "low"


def bar(score: object) -> str:
    """A horizontal bar for a 0-100 score."""
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        return '<div class="bar"></div>'
    width = min(max(float(score), 0.0), 100.0)
    return (f'<div class="bar"><span class="{level(width)}" '
            f'style="width:{width:.1f}%"></span></div>')


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[int] = (),
          cls: str = "") -> str:
    """A table; ``headers`` are escaped here, cells must already be HTML."""
    head = "".join(
        f'<th scope="col" class="num">{esc(h)}</th>' if i in numeric
        else f'<th scope="col">{esc(h)}</th>'
        for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    attr = f' class="{esc(cls)}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def facts(items: Iterable[tuple[str, str]]) -> str:
    """A definition list of (label, already-escaped value) pairs."""
    return '<dl class="facts">' + "".join(
        f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def image(data: bytes, mime: str, alt: str, caption: str = "", width: int | None = None,
          height: int | None = None) -> str:
    """A figure with the image embedded as a data URI (PNG or SVG bytes)."""
    if mime not in ("image/png", "image/svg+xml"):
        raise VrtrainerError(f"cannot embed images of type {mime}")
    uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    size = ""
    if width and height:
        size = f' width="{int(width)}" height="{int(height)}"'
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure><img src="{uri}" alt="{esc(alt)}"{size}>{cap}</figure>'


def section(title: str, body: str, ident: str = "") -> str:
    """A titled block of the page; ``body`` is HTML."""
    attr = f' id="{esc(ident)}"' if ident else ""
    return f"<section{attr}><h2>{esc(title)}</h2>{body}</section>"


def document(title: str, header: str, sections: Iterable[str], footer: str, lang: str) -> str:
    """The whole page: ``title`` is escaped, the other parts are HTML."""
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
        f'<header class="report">{header}</header>' + "".join(sections)
        + f"<footer>{footer}</footer></main></body></html>\n"
    )


def write_page(out: str | os.PathLike[str], page: str) -> Path:
    """Write ``page`` to ``out`` atomically (a reader never sees half a report)."""
    out = Path(out)
    if out.is_dir():
        raise VrtrainerError(f"{out}: is a folder; give the report's file name")
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(out, "w", encoding="utf-8") as stream:  # synced, shared mode
            stream.write(page)
    except OSError as exc:
        raise VrtrainerError(f"{out}: cannot write the report ({exc.strerror or exc})") from None
    return out
