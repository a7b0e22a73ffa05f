r"""LaTeX text helpers shared by the components (Jupyter display) and :mod:`dynapai_sym.latex`."""

from __future__ import annotations

__all__ = ["align_lines", "display_math", "split_top_level"]


def split_top_level(text: str) -> list[str]:
    r"""Split LaTeX at the ``\\`` that are outside braces and environments."""
    lines, start, depth, env, pos = [], 0, 0, 0, 0
    while pos < len(text):
        ch = text[pos]
        if ch == "\\":
            nxt = text[pos + 1:pos + 2]
            if nxt == "\\":
                if depth == 0 and env == 0:
                    lines.append(text[start:pos].strip())
                    start = pos + 2
                pos += 2
                continue
            if nxt.isalpha():
                end = pos + 1
                while end < len(text) and text[end].isalpha():
                    end += 1
                name = text[pos + 1:end]
                env += 1 if name == "begin" else -1 if name == "end" else 0
                pos = end
                continue
            pos += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        pos += 1
    lines.append(text[start:].strip())
    return [line for line in lines if line]


def align_lines(text: str) -> list[str]:
    """Lines of a component's LaTeX, each with ``&`` before its first top-level ``=``."""
    out = []
    for line in split_top_level(text):
        depth, env, pos, at = 0, 0, 0, None
        while pos < len(line):
            ch = line[pos]
            if ch == "\\":
                end = pos + 1
                while end < len(line) and line[end].isalpha():
                    end += 1
                name = line[pos + 1:end]
                env += 1 if name == "begin" else -1 if name == "end" else 0
                pos = max(end, pos + 2)
                continue
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "=" and depth == 0 and env == 0:
                at = pos
                break
            pos += 1
        out.append("&" + line if at is None else line[:at].rstrip() + " &" + line[at:])
    return out


def display_math(rows: list[str]) -> str:
    r"""``$$...$$`` math for Jupyter: one row as is, several in an ``aligned`` block (``&`` kept)."""
    if len(rows) == 1:
        return "$$" + rows[0].replace("&", "", 1) + "$$"
    return "$$\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}$$"
