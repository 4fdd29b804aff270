"""Static files in production: hashed names, so WhiteNoise can send them ``immutable`` and
browsers keep them for a year, plus gzip and Brotli copies made once by ``collectstatic``.

ES module imports (``import … from "./offline-store.js"``) are rewritten to the hashed names
too, so a page never mixes an old module with a new one after an upgrade.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
    # A reference inside a vendored file (a PDF.js stylesheet naming an image it does not ship)
    # is left as it is rather than failing the whole collectstatic.
    manifest_strict = False

    def hashed_name(self, name, content=None, filename=None):  # type: ignore[no-untyped-def]
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            return name
