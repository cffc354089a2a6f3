"""A light scan of TOML text: nesting depth before parsing, and key paths to line numbers.

``tomllib`` parses nested arrays and inline tables recursively, so a small file
of ``[[[[...`` can exhaust the stack; :func:`scan_toml` measures the nesting
without recursion so that such a file is refused before it is parsed. The same
pass records the line of every table header and key so that schema errors can
say where they are (``scenario.toml:42``). It is not a TOML parser: it only has
to be right on files that ``tomllib`` accepts, and harmless on the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KeyPath = tuple[str | int, ...]


@dataclass
class TomlScan:
    """What the scan found: deepest bracket nesting, and key path -> 1-based line."""

    max_depth: int = 0
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int | None:
        """Line of ``path`` or of its nearest enclosing key that the scan saw."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def _split_key(text: str) -> list[str]:
    """Split a (possibly dotted, possibly quoted) TOML key into its parts."""
    parts: list[str] = []
    buf: list[str] = []
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
            else:
                buf.append(ch)
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf).strip())
    return parts


def _key_end(line: str) -> int:
    """Index of the '=' that ends the key on ``line`` (quotes respected), or -1."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "=":
            return i
    return -1


def scan_toml(text: str) -> TomlScan:
    """Scan ``text`` once: bracket depth of values and the line of each key."""
    scan = TomlScan()
    aot_counts: dict[tuple[str, ...], int] = {}
    table: KeyPath = ()
    depth = 0
    ml = ""  # inside a multi-line string: '"""' or "'''"
    for lineno, line in enumerate(text.splitlines(), start=1):
        i = 0
        if not ml and depth == 0:
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("["):
                table = _header(stripped, aot_counts, scan, lineno)
                continue
            eq = _key_end(line)
            if eq < 0:
                continue
            keys = _split_key(line[:eq])
            scan.lines.setdefault(table + tuple(keys), lineno)
            i = eq + 1
        depth, ml = _scan_value(line, i, depth, ml, scan)
    return scan


def _header(
    stripped: str, aot_counts: dict[tuple[str, ...], int], scan: TomlScan, lineno: int
) -> KeyPath:
    """Key path of a ``[table]`` or ``[[array.of.tables]]`` header line."""
    is_aot = stripped.startswith("[[")
    inner = stripped[2:] if is_aot else stripped[1:]
    end = inner.find("]]" if is_aot else "]")
    keys = _split_key(inner[:end] if end >= 0 else inner)
    resolved: list[str | int] = []
    for n in range(1, len(keys) + 1):
        resolved.append(keys[n - 1])
        prefix = tuple(keys[:n])
        if n == len(keys) and is_aot:
            aot_counts[prefix] = aot_counts.get(prefix, -1) + 1
            scan.lines.setdefault(tuple(resolved), lineno)
            resolved.append(aot_counts[prefix])
        elif prefix in aot_counts:
            resolved.append(aot_counts[prefix])
    path = tuple(resolved)
    scan.lines.setdefault(path, lineno)
    return path


def _scan_value(line: str, i: int, depth: int, ml: str, scan: TomlScan) -> tuple[int, str]:
    """Advance over a value's text, tracking brackets and strings; return new state."""
    n = len(line)
    while i < n:
        if ml:
            end = line.find(ml, i)
            if end < 0:
                return depth, ml
            i = end + 3
            ml = ""
            continue
        ch = line[i]
        if ch == "#":
            break
        if line.startswith('"""', i) or line.startswith("'''", i):
            ml = line[i : i + 3]
            i += 3
            continue
        if ch == '"':
            i += 1
            while i < n and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
        elif ch == "'":
            end = line.find("'", i + 1)
            i = n if end < 0 else end
        elif ch in "[{":
            depth += 1
            scan.max_depth = max(scan.max_depth, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
        i += 1
    return depth, ml
