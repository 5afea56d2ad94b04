"""Copy the badge script into the Shopify theme app extension.

Shopify serves a theme app extension's files from its own CDN, so the extension ships a copy of
``static/stockguard.js`` (the file the StockGuard server and the WordPress plugin serve). Run
this after editing the script; ``tests/storefront`` fails while the two differ.

    python scripts/sync_extension_assets.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "static" / "stockguard.js"
TARGET = ROOT / "extensions" / "stockguard" / "assets" / "stockguard.js"


def sync() -> bool:
    """Copy the script if the extension's copy differs; True when it was copied."""
    if TARGET.exists() and TARGET.read_bytes() == SOURCE.read_bytes():
        return False
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, TARGET)
    return True


if __name__ == "__main__":
    print(f"copied to {TARGET.relative_to(ROOT)}" if sync() else "already in sync")
