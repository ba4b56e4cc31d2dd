"""report.html: the folder's summary.md as one self-contained page (plots embedded as data URIs, no
script, no network), for a reader who opens one file. Converts the small Markdown subset our
summaries use: headings, paragraphs, bullet lists, pipe tables, **bold**, *italic*, `code`, and the
<details> and <div> tags of a collapsed section and of side-by-side columns."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

STYLE = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1b1b1b;line-height:1.45}h1{font-size:1.6em;border-bottom:2px solid #1f4e79}
h2{font-size:1.25em;color:#1f4e79;margin-top:1.6em}table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #c8c8c8;padding:3px 8px;text-align:right}th{background:#eef3f8}td:first-child,
th:first-child{text-align:left}blockquote{border-left:4px solid #c0392b;margin:.8em 0;padding:.2em 1em;
background:#fbeeee}img{max-width:100%;border:1px solid #ddd;margin:.5em 0}figure{margin:1em 0}
figcaption{font-size:.85em;color:#555}code{background:#f3f3f3;padding:0 3px}
.scroll{overflow-x:auto;max-width:100%}p,li,figcaption{overflow-wrap:anywhere}details{margin:.6em 0}
summary{cursor:pointer;color:#1f4e79}.cols{display:flex;flex-wrap:wrap;gap:0 2.5em;align-items:flex-start}
.cols>div{min-width:0}.narrow{flex:none;width:min-content;min-width:16em}.wide{flex:1 1 420px}
.cols h2{margin-top:.8em}"""

# What each plot shows, as its caption (a plot without one is captioned by its file name)
CAPTIONS = {
    "coverage": "Guaranteed months of cover by mineral and party (national stock + drawing rights), against the "
                "benchmarks: the bars are coverage.csv.",
    "shortfall_paths": "Unmet demand month by month in the costliest branches, one panel per mineral on its own "
                       "scale from 0: scenario_outcomes.csv.",
    "buildup": "What each holder buys in each build year: acquisition.csv.",
    "sharing": "Each party's saving from the joint stockpile under each cost-sharing rule; the rules some coalition "
               "rejects on a panel of their own: sharing.csv.",
    "sweep": "The sweep's measures at each point: sweep.csv.",
    "tornado": "How far each input moves the answer between its low and high values: tornado.csv.",
}


def write_report(folder: Path, markdown: str, title: str) -> Path:
    """report.html in `folder`: the Markdown, then every PNG of the folder, embedded."""
    figures = [_figure(p) for p in sorted(folder.glob("*.png"))]
    body = to_html(markdown) + ("\n<h2>Figures</h2>\n" + "\n".join(figures) if figures else "")
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def _figure(png: Path) -> str:
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    caption = CAPTIONS.get(png.stem, png.name)
    return (f"<figure><img alt=\"{html.escape(caption)}\" src=\"data:image/png;base64,{data}\">"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def to_html(markdown: str) -> str:
    """Block by block: a heading, a table, a list, a quote or a paragraph."""
    out, lines, i = [], markdown.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        kind = _kind(line)
        if not line.strip():
            i += 1
        elif kind == "raw":  # a collapsible section's own tags, passed through
            out.append(line.strip())
            i += 1
        elif kind == "h":
            level = min(len(line) - len(line.lstrip("#")), 6)
            out.append(f"<h{level}>{_inline(line[level:].strip())}</h{level}>")
            i += 1
        else:
            block = []
            while i < len(lines) and lines[i].strip() and _kind(lines[i]) == kind:
                block.append(lines[i])
                i += 1
            out.append(_BLOCKS[kind](block))
    return "\n".join(out)


def _kind(line: str) -> str:
    if line.startswith(("<details", "</details>", "<div", "</div>")):
        return "raw"
    if line.startswith("|"):
        return "table"
    if line.startswith("- "):
        return "list"
    if line.startswith(">"):
        return "quote"
    return "h" if line.startswith("#") else "p"


def _table(block: list[str]) -> str:
    rows = [[c.strip() for c in r.strip().strip("|").split("|")] for r in block
            if not re.fullmatch(r"\|?(\s*:?-+:?\s*\|)+\s*", r.strip())]
    head, *body = rows
    th = "".join(f"<th>{_inline(c)}</th>" for c in head)
    trs = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in body)
    return f"<div class=\"scroll\"><table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table></div>"


def _list(block: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{_inline(x[2:])}</li>" for x in block) + "</ul>"


def _quote(block: list[str]) -> str:
    return "<blockquote>" + " ".join(_inline(x.lstrip("> ")) for x in block) + "</blockquote>"


def _paragraph(block: list[str]) -> str:
    return "<p>" + "<br>".join(_inline(x) for x in block) + "</p>"


_BLOCKS = {"table": _table, "list": _list, "quote": _quote, "p": _paragraph}


def _inline(text: str) -> str:
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"(?<![*\w])\*([^*]+)\*(?![*\w])", r"<em>\1</em>", text)
