"""ci/nightly's sections in pytest-html's report.html: the result, a retry, the diagnosis, health.

pytest-html writes report.html when pytest ends; the diagnosis and the
history come after that. The plugin leaves a marker in the report's summary
(``hil.nightly.contract.HTML_PLACEHOLDER``); the sections replace it. Without
a report (pytest never ran: the board was busy) a small page holds them.
Pictures are inlined as data: URLs, so the report stays self-contained.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from hil.nightly.contract import HTML_PLACEHOLDER

MIME = {".svg": "image/svg+xml", ".png": "image/png"}


def inline_picture(path: Path, alt: str) -> str:
    try:
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    except OSError:
        return ""
    mime = MIME.get(Path(path).suffix.lower(), "application/octet-stream")
    return (f'<img class="hil-picture" alt="{html.escape(alt)}" style="max-width:100%" '
            f'src="data:{mime};base64,{data}"/>')


def result_section(exit_code: int, meaning: str, retried: str | None) -> str:
    parts = [f"<h2>Nightly result: exit {exit_code}</h2><p><strong>{html.escape(meaning)}"
             f"</strong></p>"]
    if retried:
        parts.append(f"<p class='hil-retry'><strong>Retried once:</strong> "
                     f"{html.escape(retried)}</p>")
    return "<section id='hil-result'>" + "".join(parts) + "</section>"


def diagnosis_section(diagnosis: dict, picture: Path | None) -> str:
    verdict = diagnosis.get("verdict")
    if verdict is None:
        reason = diagnosis.get("error") or diagnosis.get("skipped") or "not run"
        return (f"<section id='hil-diagnosis'><h2>Diagnosis</h2><p>{html.escape(str(reason))}"
                f"</p></section>")
    head = (f"ambiguous: one of {', '.join(diagnosis.get('candidates') or [])}"
            if verdict == "ambiguous" else verdict)
    parts = [f"<h2>Diagnosis: {html.escape(head)}</h2>",
             f"<p><strong>Repair:</strong> {html.escape(str(diagnosis.get('repair', '')))}</p>"]
    if diagnosis.get("next_step"):
        parts.append(f"<p><strong>Next step:</strong> "
                     f"{html.escape(str(diagnosis['next_step']))}</p>")
    evidence = diagnosis.get("evidence") or []
    if evidence:
        parts.append("<ul>" + "".join(
            f"<li>[{html.escape(str(e.get('source', '')))}] {html.escape(str(e.get('action', '')))}"
            + (f": {html.escape(str(e['reading']))}" if e.get("reading") else "") + "</li>"
            for e in evidence if isinstance(e, dict)) + "</ul>")
    if picture is not None:
        parts.append(inline_picture(picture, f"the bench, {head}"))
    return "<section id='hil-diagnosis'>" + "".join(parts) + "</section>"


def add_sections(report: Path, sections: list[str]) -> None:
    """Put the sections into report.html at the plugin's marker (or make a small page)."""
    block = "\n".join(sections)
    try:
        text = report.read_text(encoding="utf-8")
    except OSError:
        text = ""
    if HTML_PLACEHOLDER in text:
        text = text.replace(HTML_PLACEHOLDER, block, 1)
    elif "</body>" in text:
        text = text.replace("</body>", block + "</body>", 1)
    else:
        text = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>report.html</title>"
                "</head><body><h1>Nightly bench run</h1><p>pytest did not write a report: "
                "see pytest.log.</p>" + block + "</body></html>")
    report.write_text(text, encoding="utf-8")
