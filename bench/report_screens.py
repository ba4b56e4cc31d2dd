"""Check a results folder's report.html in a real headless browser (Chromium) and take its screenshots.

Run:  python bench/report_screens.py RESULTS_DIR [--out DIR] [--widths 1280,800] [--height 900]

For each width: the page's scroll width against the window's (horizontal overflow of the page is a failure), and
every image loaded (a broken one is a failure), read by a probe script in a copy of the page; then a screenshot of
the first screen (report_<width>.png in --out, default RESULTS_DIR). Prints one line per width and exits 1 when a
check fails, 2 when no Chromium is found (apt-get install chromium, or set CHROMIUM=/path/to/chrome).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = """<script>
window.addEventListener("load", function () {
  var root = document.documentElement, images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).length;
  document.title = "PROBE" + JSON.stringify({scroll_width: root.scrollWidth, window_width: window.innerWidth,
                                             images: images.length, broken: broken});
});
</script>"""


def chromium() -> str | None:
    """The browser: $CHROMIUM, else the first of the usual names on PATH."""
    found = os.environ.get("CHROMIUM")
    if found:
        return found
    return next((p for name in ("chromium", "chromium-browser", "google-chrome", "chrome")
                 if (p := shutil.which(name))), None)


def _run(browser: str, *args: str) -> str:
    """One headless Chromium run with a fresh profile and no background networking (a closed network refuses it)."""
    with tempfile.TemporaryDirectory() as profile:
        cmd = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--virtual-time-budget=10000", *args]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def probe(browser: str, page: Path, width: int, height: int) -> dict:
    """The probe's figures for the page at this window size."""
    text = page.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "probe.html"
        copy.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
        dom = _run(browser, f"--window-size={width},{height}", "--dump-dom", copy.as_uri())
    found = re.search(r"<title>PROBE(.*?)</title>", dom, re.S)
    if not found:
        raise RuntimeError("the probe script did not run (no PROBE title in the page Chromium returned)")
    return json.loads(html.unescape(found.group(1)))


def screenshot(browser: str, page: Path, width: int, height: int, out: Path) -> Path:
    path = out / f"report_{width}.png"
    _run(browser, f"--window-size={width},{height}", f"--screenshot={path}", page.resolve().as_uri())
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", help="a results folder with report.html")
    ap.add_argument("--out", help="where the screenshots go (default: the folder)")
    ap.add_argument("--widths", default="1280,800")
    ap.add_argument("--height", type=int, default=900)
    args = ap.parse_args()
    page = Path(args.folder) / "report.html"
    if not page.is_file():
        print(f"error: {page} does not exist", file=sys.stderr)
        return 2
    browser = chromium()
    if browser is None:
        print("error: no Chromium found (apt-get install chromium, or set CHROMIUM)", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path(args.folder)
    out.mkdir(parents=True, exist_ok=True)
    failed = False
    for width in (int(w) for w in args.widths.split(",")):
        p = probe(browser, page, width, args.height)
        overflow = p["scroll_width"] > p["window_width"]
        shot = screenshot(browser, page, width, args.height, out)
        failed |= overflow or p["broken"] > 0
        print(f"{width} px: page {p['scroll_width']} px wide in a {p['window_width']} px window "
              f"({'OVERFLOWS' if overflow else 'no horizontal overflow'}); {p['images']} images, {p['broken']} broken; "
              f"screenshot {shot}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
