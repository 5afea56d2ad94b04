"""What a merchant downloads to put StockGuard on a site: the WordPress plugin, zipped the way
WordPress's "Upload Plugin" expects (one top-level ``stockguard/`` folder)."""

from __future__ import annotations

import functools
import io
import zipfile
from pathlib import Path

from flask import Blueprint, send_file

bp = Blueprint("integrations", __name__, url_prefix="/integrations")

PLUGIN = Path(__file__).resolve().parent.parent / "integrations" / "wordpress" / "stockguard"


@functools.cache
def plugin_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(PLUGIN.rglob("*")):
            if path.is_file():
                archive.write(path, Path("stockguard") / path.relative_to(PLUGIN))
    return buffer.getvalue()


@bp.get("/stockguard-wordpress.zip")
def wordpress_plugin():
    return send_file(
        io.BytesIO(plugin_zip()),
        mimetype="application/zip",
        as_attachment=True,
        download_name="stockguard-wordpress.zip",
        max_age=3600,
    )
