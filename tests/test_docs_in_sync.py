from pathlib import Path

from django.conf import settings

from muqeem.core.docs_gen import error_codes_markdown


def test_error_code_catalogue_document_matches_the_code():
    path = Path(settings.BASE_DIR) / "docs" / "error-codes.md"
    assert path.read_text(encoding="utf-8") == error_codes_markdown(), (
        "docs/error-codes.md is stale: run `.venv/bin/python manage.py error_codes_doc`"
    )


def test_every_error_code_is_documented_once():
    from muqeem.core.errors import ErrorCode

    text = (Path(settings.BASE_DIR) / "docs" / "error-codes.md").read_text(encoding="utf-8")
    for code in ErrorCode:
        assert text.count(f"| `{code}` |") == 1
