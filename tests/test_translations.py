"""The Arabic catalogue (`locale/ar/LC_MESSAGES/django.po`): complete, well-formed, in the seed's words,
and in sync with the code.

How the compiled catalogue is obtained
--------------------------------------
`.mo` files are gitignored; `make messages` (pybabel compile) builds them before `make test`. So that these
tests also pass on a bare checkout (or right after someone edits the `.po`), the `arabic` fixture compiles
the `.po` with babel's `write_mo` when the `.mo` is missing or older than the `.po`. It writes to a
temporary file and renames it over the `.mo`, so parallel workers never read a half-written file.

Django caches catalogues per process the first time a language is used, so another test may already
have loaded the stale (or missing) `.mo` before this module runs. Whenever the fixture compiles, it
therefore calls `translation_file_changed`, the hook Django's autoreloader runs when a `.mo` changes:
it empties Python's `gettext` cache and Django's translation caches, and the next Arabic lookup reads
the fresh file. When the `.mo` is already fresh nothing is reset, and nothing needs to be.

How the sync test works
-----------------------
`test_catalogue_in_sync_with_code` copies the sources `makemessages` reads (`.py`, `.html` and `.txt`
files, skipping `.venv/`, `var/`, hidden folders and the real `locale/`) to a temporary directory with an
empty `locale/`, runs the real `manage.py makemessages -l ar` there in a subprocess (the same extraction,
xgettext included, as the documented command) and compares the msgids it extracted with the committed
`.po`. The working tree is never written to. GNU gettext (`xgettext`) is required: without it the test
fails rather than skips, so a missing tool cannot hide a stale catalogue.
"""

from __future__ import annotations

import gettext as pygettext
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.utils import translation
from django.utils.translation.reloader import translation_file_changed

from muqeem.core.errors import CATALOGUE, ErrorCode, ParamValue, render_bilingual
from muqeem.core.money import Money
from muqeem.residents.models import ResidentStatus

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
PO = LOCALE / "ar" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")
BRACE_FIELD = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")
PERCENT_FIELD = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")

# CLDR's Arabic plural rule, as Django's own Arabic catalogue and the project's header state it.
PLURAL_FORMS = (
    "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
    "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5;"
)
# Forms used for exactly one number (n == 1, n == 2): Arabic says "شهر واحد", "شهران" without the
# number, so these forms may leave out the count placeholder (msgfmt --check allows this too).
SINGLE_NUMBER_FORMS = {1, 2}

# The seed article's labels (shared/seed/muqeem-renewal-article.ar.txt) and docs/GLOSSARY.md.
SEED_LABELS = {
    "Verify data": "تحقق من البيانات",
    "Verified successfully": "تم التحقق بنجاح",
    "Renewed iqama information": "معلومات الإقامة المجددة",
    "Security code": "رمز الأمان",
    "Renew Iqama": "تجديد الإقامة",
    "E-Services": "الخدمات الإلكترونية",
    "Logout": "خروج",
    "Iqama number": "رقم الإقامة",
    "Iqama duration": "مدة الإقامة",
    "Renew": "تجديد",
    "Request number": "رقم الطلب",
    "Resident name": "اسم المقيم",
    "Renewal duration": "مدة التجديد",
    "New iqama expiry date": "تاريخ انتهاء الإقامة الجديد",
    "Confirm": "تأكيد",
    "Passport number": "رقم الجواز",
    "Nationality": "الجنسية",
    "Expiry date": "تاريخ الانتهاء",
    "Sponsor name": "اسم الكفيل",
    "Fees": "الرسوم",
    "Print": "طباعة",
}
LOGIN_LABELS = {"الدخول", "تسجيل الدخول"}

# What makemessages reads (domain "django": .py, .html, .txt) and what the documented command ignores.
EXTRACTED_SUFFIXES = (".py", ".html", ".txt")
SKIPPED_DIRS = {".venv", "var", "locale", "__pycache__", "node_modules"}
MAKEMESSAGES_TIMEOUT = 120


def _read_catalogue() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f)


def _messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def _ids(message: Message) -> tuple[str, ...]:
    return (message.id,) if isinstance(message.id, str) else tuple(message.id)


def _strings(message: Message) -> tuple[str, ...]:
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


def _placeholders(text: str) -> set[str]:
    return set(BRACE_FIELD.findall(text)) | {f"%({n})" for n in PERCENT_FIELD.findall(text)}


def _label(message: Message) -> str:
    return repr(_ids(message)[0])


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    return _read_catalogue()


def _compile_if_stale() -> bool:
    """Compile the .po into the .mo Django reads, if the .mo is missing or older. True if compiled."""
    if MO.exists() and MO.stat().st_mtime >= PO.stat().st_mtime:
        return False
    catalog = _read_catalogue()
    tmp = MO.with_name(f"{MO.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        write_mo(f, catalog)
    tmp.replace(MO)
    return True


@pytest.fixture(scope="module")
def compiled() -> None:
    """The .mo is current and Django reads it (see the module docstring)."""
    if _compile_if_stale():
        translation_file_changed(sender=None, file_path=MO)


@pytest.fixture
def arabic(compiled: None) -> Iterator[None]:
    """Arabic active for one test, from the current catalogue."""
    with translation.override("ar"):
        yield


# (a) Complete and well-formed ------------------------------------------------------------------


def test_header(catalogue: Catalog) -> None:
    assert not catalogue.fuzzy, 'the header is marked fuzzy; remove `#, fuzzy` above msgid ""'
    assert str(catalogue.locale) == "ar"
    assert catalogue.charset.upper() == "UTF-8"
    assert catalogue.num_plurals == 6
    actual = pygettext.c2py(catalogue.plural_expr)
    expected = pygettext.c2py(PLURAL_FORMS.split("plural=", 1)[1].rstrip(";"))
    assert [actual(n) for n in range(1000)] == [expected(n) for n in range(1000)]


def test_every_message_is_translated(catalogue: Catalog) -> None:
    problems = []
    for message in _messages(catalogue):
        strings = _strings(message)
        if message.pluralizable and len(strings) != catalogue.num_plurals:
            problems.append(f"{_label(message)}: {len(strings)} plural forms, expected 6")
        if not all(s.strip() for s in strings):
            problems.append(f"{_label(message)}: empty translation")
        elif not all(ARABIC_LETTER.search(s) for s in strings):
            problems.append(f"{_label(message)}: translation has no Arabic letters")
        if message.fuzzy:
            problems.append(f"{_label(message)}: marked fuzzy")
    assert not problems, "\n".join(problems)


def test_placeholders_are_kept(catalogue: Catalog) -> None:
    problems = []
    for message in _messages(catalogue):
        ids = _ids(message)
        wanted = _placeholders(ids[-1])  # msgid_plural for plural entries
        known = set().union(*(_placeholders(i) for i in ids))
        for index, string in enumerate(_strings(message)):
            found = _placeholders(string)
            optional = message.pluralizable and index in SINGLE_NUMBER_FORMS
            if missing := set() if optional else wanted - found:
                problems.append(f"{_label(message)}[{index}]: missing {sorted(missing)}")
            if unknown := found - known:
                problems.append(f"{_label(message)}[{index}]: unknown {sorted(unknown)}")
    assert not problems, "\n".join(problems)


def test_msgfmt_check_passes() -> None:
    """GNU msgfmt's checks: header, format strings (python-format, python-brace-format), plurals."""
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt (GNU gettext) is not installed; install the `gettext` package"
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [msgfmt, "--check", "-o", os.devnull, str(PO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# (b) Error messages in Arabic ------------------------------------------------------------------

SAMPLE_PARAMS: dict[str, ParamValue] = {
    "expiry": date(2027, 3, 14),
    "new_expiry": date(2028, 3, 14),
    "amount": Money(150_000),
    "balance": Money(50_000),
    "total": Money(1_065_000),
    "status": ResidentStatus.EXITED_NOT_RETURNED.label,
    "action": "submitted",
    "allowed": "3, 6, 9, 12",
}


def _param_names(code: ErrorCode) -> set[str]:
    with translation.override("en"):
        return set(BRACE_FIELD.findall(str(CATALOGUE[code].text)))


@pytest.mark.usefixtures("arabic")
@pytest.mark.parametrize("code", list(ErrorCode))
def test_error_message_renders_in_arabic(code: ErrorCode) -> None:
    params: dict[str, ParamValue] = {n: SAMPLE_PARAMS.get(n, 3) for n in _param_names(code)}
    rendered = render_bilingual(code, params)
    assert rendered["ar"] != rendered["en"]
    assert ARABIC_LETTER.search(rendered["ar"]), rendered["ar"]
    assert not BRACE_FIELD.search(rendered["ar"]), rendered["ar"]
    hint = CATALOGUE[code].hint
    if hint is not None:
        arabic_hint = str(hint)
        with translation.override("en"):
            assert arabic_hint != str(hint)
        assert ARABIC_LETTER.search(arabic_hint), arabic_hint


@pytest.mark.usefixtures("arabic")
def test_dates_and_money_in_error_messages_use_arabic_markers() -> None:
    passport = render_bilingual(ErrorCode.PASSPORT_EXPIRED, {"expiry": date(2027, 3, 14)})["ar"]
    assert "14/03/2027م" in passport
    assert "هـ" in passport
    fines = render_bilingual(ErrorCode.UNPAID_TRAFFIC_FINES, {"amount": Money(150_000)})["ar"]
    assert "1,500.00 ريال" in fines


# (c) The seed's labels -------------------------------------------------------------------------


@pytest.mark.usefixtures("arabic")
@pytest.mark.parametrize(("english", "arabic_label"), SEED_LABELS.items())
def test_seed_label(english: str, arabic_label: str) -> None:
    assert translation.gettext(english) == arabic_label


@pytest.mark.usefixtures("arabic")
def test_login_label() -> None:
    assert translation.gettext("Login") in LOGIN_LABELS


@pytest.mark.usefixtures("arabic")
def test_duration_plural_forms() -> None:
    def months(n: int) -> str:
        return translation.ngettext("%(months)s month", "%(months)s months", n) % {"months": n}

    assert [months(n) for n in (1, 2, 3, 12)] == ["شهر واحد", "شهران", "3 أشهر", "12 شهرًا"]


# (d) In sync with the code ---------------------------------------------------------------------


def _copy_sources(destination: Path) -> None:
    """Copy what makemessages reads (the tree minus ignored folders) to `destination`."""
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [
            d
            for d in dirnames
            if d not in SKIPPED_DIRS and not d.startswith(".") and not d.endswith(".egg-info")
        ]
        relative = Path(dirpath).relative_to(ROOT)
        for name in filenames:
            if name.endswith(EXTRACTED_SUFFIXES):
                target = destination / relative / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(dirpath) / name, target)


def _keys(catalog: Catalog) -> set[tuple[str | None, tuple[str, ...]]]:
    return {(m.context, _ids(m)) for m in _messages(catalog)}


def test_catalogue_in_sync_with_code(tmp_path: Path) -> None:
    assert shutil.which("xgettext"), (
        "xgettext (GNU gettext) is not installed, so the catalogue cannot be checked against the "
        "code; install the `gettext` package"
    )
    project = tmp_path / "project"
    _copy_sources(project)
    (project / "locale").mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(project),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ar", "--no-obsolete"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=MAKEMESSAGES_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    extracted_po = project / "locale" / "ar" / "LC_MESSAGES" / "django.po"
    with extracted_po.open("rb") as f:
        extracted = _keys(read_po(f))
    committed = _keys(_read_catalogue())
    missing = sorted(extracted - committed, key=str)
    obsolete = sorted(committed - extracted, key=str)
    lines = [f"missing from the .po: {ids}" for _, ids in missing]
    lines += [f"in the .po but no longer in the code: {ids}" for _, ids in obsolete]
    assert not lines, (
        "locale/ar/LC_MESSAGES/django.po is out of sync with the code. Run\n"
        '  manage.py makemessages -l ar --ignore ".venv/*" --ignore "var/*" --no-obsolete\n'
        "and translate the new entries:\n" + "\n".join(lines)
    )
