"""Every English text of the Reports view (template and script) has its French translation."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _texts() -> set[str]:
    template = (ROOT / "templates/admin/views/reports.html").read_text(encoding="utf-8")
    script = (ROOT / "static/admin_view_reports.js").read_text(encoding="utf-8")
    found = set(re.findall(r'_\("((?:[^"\\]|\\.)*)"\)', template))
    # Labels passed through _(label) from the export list.
    found |= set(re.findall(r'\("\w+", "([^"]+)"\)', template))
    found |= set(re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', script))
    return found


def test_every_text_has_a_french_translation():
    catalog = json.loads((ROOT / "templates/admin/i18n/data.fr.json").read_text(encoding="utf-8"))
    texts = _texts()
    assert len(texts) > 40
    assert sorted(texts - set(catalog)) == []
    # Placeholders survive translation.
    for english, french in catalog.items():
        assert set(re.findall(r"\{\w+\}", english)) == set(re.findall(r"\{\w+\}", french)), english


def test_the_view_is_one_top_level_section():
    html = (ROOT / "templates/admin/views/reports.html").read_text(encoding="utf-8").strip()
    assert html.startswith('<section class="view" data-view="reports" hidden>')
    assert html.endswith("</section>")
