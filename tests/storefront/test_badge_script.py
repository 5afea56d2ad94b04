"""The badge script as shipped: its size budget, the extension's copy, what it must never do."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from scripts import sync_extension_assets
from sync.storefront_settings import TEXT_KEYS

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "static" / "stockguard.js"
EXTENSION_COPY = ROOT / "extensions" / "stockguard" / "assets" / "stockguard.js"
# The whole script (code, texts in three languages, styles) as a browser downloads it.
GZIP_BUDGET = 4096


def test_script_fits_in_4_kb_gzipped():
    data = SCRIPT.read_bytes()
    size = len(gzip.compress(data, 9))
    assert size <= GZIP_BUDGET, f"stockguard.js is {size} bytes gzipped (budget {GZIP_BUDGET})"


def test_extension_ships_the_same_script():
    assert EXTENSION_COPY.read_bytes() == SCRIPT.read_bytes(), (
        "extensions/stockguard/assets/stockguard.js differs from static/stockguard.js: "
        "run `python scripts/sync_extension_assets.py`"
    )
    assert sync_extension_assets.SOURCE == SCRIPT
    assert sync_extension_assets.TARGET == EXTENSION_COPY


def test_sync_script_copies_into_a_fresh_extension(tmp_path, monkeypatch):
    target = tmp_path / "assets" / "stockguard.js"
    monkeypatch.setattr(sync_extension_assets, "TARGET", target)
    assert sync_extension_assets.sync() is True
    assert target.read_bytes() == SCRIPT.read_bytes()
    assert sync_extension_assets.sync() is False  # already in sync


def code_of(source: str) -> str:
    """The script without its comments."""
    return re.sub(r"/\*.*?\*/|(^|\s)//[^\n]*", "", source, flags=re.S | re.M)


def test_script_stays_self_contained_and_never_parses_html():
    source = SCRIPT.read_text(encoding="utf-8")
    # One IIFE: nothing leaks into the page's globals except window.StockGuard.
    assert source.lstrip().startswith("/*")
    assert re.search(r"^\(\(\) => \{$", source, re.M)
    assert source.rstrip().endswith("})();")
    # Product titles and merchant texts may hold markup: DOM APIs and textContent only.
    code = code_of(source)
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert forbidden not in code
    # No dependencies: nothing imported, nothing loaded from elsewhere.
    assert not re.search(r"\bimport\b|\brequire\(|jQuery|\$\(", code)


def test_script_speaks_the_contract():
    """The endpoints, limits and placeholder attributes of docs/storefront.md."""
    source = SCRIPT.read_text(encoding="utf-8")
    for needle in (
        "'/availability?'",
        "'/notify?'",
        "i += 50",  # at most 50 ids per request
        "3000",  # AbortController timeout
        "data-sg-product",
        "data-sg-variant",
        "sgLines",
        "'role', 'status'",
        "window.StockGuard = { refresh",
    ):
        assert needle in source, needle


def test_every_language_has_every_text():
    source = SCRIPT.read_text(encoding="utf-8")
    keys = re.search(r"const KEYS = '([^']+)'", source).group(1).split()
    assert set(keys) >= set(TEXT_KEYS)  # every text a merchant may override
    block = source[source.index("const TEXTS = {") : source.index("};", source.index("TEXTS"))]
    for lang in ("en", "fr", "ar"):
        start = block.index(f"    {lang}: ")
        end = block.index("',\n", start)
        # Join the string literals concatenated with +.
        literals = re.findall(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"", block[start : end + 1])
        text = "".join(a or b for a, b in literals)
        values = text.split("|")
        assert len(values) == len(keys), (lang, len(values), len(keys))
        assert all(values), lang
        assert "{n}" in values[keys.index("low_stock")]
        assert "{date}" in values[keys.index("eta")]
