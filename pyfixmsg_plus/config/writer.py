"""Writing a configuration back as INI text: edits go into the original lines, so comments survive."""

from __future__ import annotations

from collections import defaultdict

from pyfixmsg_plus.config.ini import RawSection


def _line(written: str, text: str) -> str:
    return f"{written} = {text}"


def render(sections: list[RawSection]) -> str:
    """A fresh INI text for ``sections`` (used when there is no original file)."""
    blocks = []
    for section in sections:
        lines = [f"[{section.kind}]", *(_line(raw.written, raw.text) for raw in section.values.values())]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def update(original: str, sections: list[RawSection]) -> str:
    """``original`` with the values changed by ``set()`` replaced on their lines, new keys added at the end of
    their section, and new sections appended."""
    lines = original.splitlines()
    inserts: dict[int, list[str]] = defaultdict(list)
    appended: list[str] = []
    for section in sections:
        edited = [raw for raw in section.values.values() if raw.edited]
        if section.last_line is None:  # a section added by set(): all of it is new
            appended += [
                "",
                f"[{section.kind}]",
                *(_line(r.written, r.text) for r in section.values.values()),
            ]
            continue
        for raw in edited:
            if raw.line is not None:
                lines[raw.line - 1] = _line(raw.written, raw.text)
            else:
                inserts[section.last_line].append(_line(raw.written, raw.text))
    for after in sorted(inserts, reverse=True):
        lines[after:after] = inserts[after]
    return "\n".join(lines + appended) + "\n"
