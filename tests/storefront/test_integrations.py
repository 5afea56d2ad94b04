"""The WordPress plugin and the copy-paste snippet: the placeholders and script tag they print.

PHP isn't needed to run these; where ``php`` is installed the plugin is also linted with
``php -l`` (CI doesn't depend on it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "integrations" / "wordpress" / "stockguard" / "stockguard.php"
README = ROOT / "integrations" / "wordpress" / "stockguard" / "readme.txt"
SNIPPET = ROOT / "integrations" / "snippet.html"


def php_code(source: str) -> str:
    """The plugin without its comments and string literals' contents."""
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    source = re.sub(r"(?m)^\s*//.*$|\s//\s.*$", "", source)
    return re.sub(r"'(?:[^'\\]|\\.)*'", "''", source)


def strip_calls(expression: str, names: tuple[str, ...]) -> str:
    """Remove every ``name( … )`` call (balanced parentheses) whose name starts with ``names``."""
    pattern = re.compile(r"\b(" + "|".join(names) + r")\w*\s*\(")
    while match := pattern.search(expression):
        depth, end = 0, match.end() - 1
        for end in range(match.end() - 1, len(expression)):
            depth += {"(": 1, ")": -1}.get(expression[end], 0)
            if depth == 0:
                break
        expression = expression[: match.start()] + "SAFE" + expression[end + 1 :]
    return expression


def test_plugin_header_declares_a_woocommerce_plugin():
    header = PLUGIN.read_text()[:1500]
    for field in ("Plugin Name: ", "Version: ", "Requires at least: ", "Requires PHP: "):
        assert re.search(rf"^ \* {field.strip()}\s+\S", header, re.M), field
    assert re.search(r"^ \* Requires Plugins:\s+woocommerce$", header, re.M)
    assert "defined( 'ABSPATH' ) || exit;" in PLUGIN.read_text()


def test_plugin_escapes_everything_it_prints():
    code = php_code(PLUGIN.read_text())
    assert "<?=" not in code
    assert not re.search(r"\b(printf|print_r|var_dump|vprintf)\s*\(", code)
    statements = re.findall(r"\b(?:echo|print)\b(.*?);", code, re.S)
    assert statements
    for statement in statements:
        # What's left once escaping calls and literals are removed must hold no variable.
        rest = strip_calls(statement, ("esc_", "wp_kses"))
        assert "$" not in rest and "(" not in rest, f"unescaped output: echo{statement};"


def test_plugin_hooks_placeholders_settings_and_the_script_tag():
    source = PLUGIN.read_text()
    for hook in (
        "'woocommerce_single_product_summary'",
        "'woocommerce_after_shop_loop_item_title'",
        "'script_loader_tag'",
        "'admin_menu'",
        "'admin_init'",
    ):
        assert hook in source, hook
    assert "add_submenu_page(\n\t\t\t'woocommerce'," in source  # WooCommerce → StockGuard
    assert "'sanitize_callback' => 'stockguard_sanitize_server_url'" in source
    assert "'strategy'  => 'async'" in source
    assert 'data-shop="%s" data-api="%s"' in source
    assert "home_url()" in source
    for attribute in ("data-sg-product", "data-sg-variant", "data-sg-lines"):
        assert f"'{attribute}'" in source
    assert "'4.8em' : '1.6em'" in source


def test_readme_is_in_wordpress_format():
    readme = README.read_text()
    assert readme.startswith("=== StockGuard ===\n")
    for field in ("Requires at least:", "Tested up to:", "Stable tag:", "License:"):
        assert re.search(rf"^{field} \S", readme, re.M), field
    for section in ("Description", "Installation", "Changelog"):
        assert f"== {section} ==" in readme


def test_plugin_is_valid_php():
    if shutil.which("php") is None:
        need("php", "not installed (.ci/run installs php-cli)")
    result = subprocess.run(["php", "-l", str(PLUGIN)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


class Tags(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_snippet_shows_both_placeholders_and_the_async_script():
    tags = Tags(SNIPPET.read_text()).tags
    boxes = [a for t, a in tags if t == "div" and a.get("class") == "stockguard"]
    assert boxes == [
        {
            "class": "stockguard",
            "data-sg-product": "77",
            "data-sg-variant": "4242",
            "data-sg-lines": "3",
            "style": "min-height:4.8em",
        },
        {
            "class": "stockguard",
            "data-sg-product": "78",
            "data-sg-lines": "1",
            "style": "min-height:1.6em",
        },
    ]
    (script,) = [a for t, a in tags if t == "script"]
    assert script["src"].endswith("/static/stockguard.js")
    assert "async" in script
    assert script["data-shop"] and script["data-api"].endswith("/storefront/v1")
