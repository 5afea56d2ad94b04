"""The admin panel's languages: English texts are the keys; each view's owner keeps its French
in ``templates/admin/i18n/<owner>.fr.json``. This merges them, picks the language a request
asks for, and gives Jinja ``_`` (the same table is embedded in the page for the scripts)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Flask, g

I18N = Path(__file__).resolve().parent.parent / "templates" / "admin" / "i18n"
LANGUAGES = ("en", "fr")
DEFAULT = "en"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_cache: dict[str, tuple[tuple, dict[str, str]]] = {}


def table(lang: str) -> dict[str, str]:
    """Every owner's ``*.<lang>.json`` merged (sorted by file name); English needs none."""
    if lang == DEFAULT or lang not in LANGUAGES:
        return {}
    files = sorted(I18N.glob(f"*.{lang}.json"))
    # Re-read only when a file changed: the panel is rendered often, the files rarely move.
    stamp = tuple((f.name, f.stat().st_mtime_ns) for f in files)
    cached = _cache.get(lang)
    if cached and cached[0] == stamp:
        return cached[1]
    merged: dict[str, str] = {}
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected an object of English → translation")
        merged.update({str(k): str(v) for k, v in data.items()})
    _cache[lang] = (stamp, merged)
    return merged


def _supported(value) -> str | None:
    """``fr``, ``fr-CA``, ``fr_FR`` → ``fr``; anything else we don't speak → None."""
    if not isinstance(value, str):
        return None
    base = value.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def choose_language(pool_settings: dict | None, locale: str | None, accept) -> str:
    """The merchant's choice (pool setting), else the platform's ``locale``, else the browser's.

    ``accept`` is Werkzeug's ``request.accept_languages``, best match first.
    """
    chosen = _supported((pool_settings or {}).get("panel_language")) or _supported(locale)
    if chosen:
        return chosen
    for value, _quality in accept or ():
        if _supported(value):
            return _supported(value)
    return DEFAULT


def use_language(lang: str) -> dict[str, str]:
    """Render this request's templates in ``lang``; the table, for embedding in the page."""
    g.panel_language = lang
    g.panel_table = table(lang)
    return g.panel_table


def fill(text: str, values: dict) -> str:
    """Put ``{name}`` values in; an unknown placeholder stays as it is."""
    if not values:
        return text
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def translate(text: str, **values) -> str:
    """``{{ _("English text", n=3) }}``: the text in this request's language (escaped by Jinja)."""
    current = g.get("panel_table") or {}
    return fill(current.get(text, text), values)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["_"] = translate
