"""Find personal data in free text: e-mail addresses, phone numbers and ID-like numbers.

`find_pii(text)` returns :class:`Match` objects with the span, the kind (``email``, ``phone``,
``id-number``), a subtype and a *redacted* preview (``j***@example.com``, ``+32 *** ** ** 56``,
``**** **** **** 1111``): reports show the preview, never the value, because a report may itself be
shared.

What counts, and what is deliberately not matched:

* **E-mail**: ``local@domain.tld`` with a 2–24 letter TLD. Obfuscated forms ("jane at example dot
  com") are not recognised.
* **Phone**: international numbers (``+`` or ``00`` then 8–15 digits), national numbers with a
  trunk ``0`` (9–12 digits, e.g. ``0471 12 34 56``, ``020 7946 0958``, ``01.23.45.67.89``) and
  North American ``(555) 234-5678`` / ``555-234-5678``. Dates (``2021-06-01``, ``01/06/2021``),
  years and year ranges, times and durations (``01:02:03``), decimal numbers and GPS coordinates
  (``50.87153``, ``+50.8715341``), version numbers and exposure values are not phones; the tests
  keep a list of such near misses.
* **ID numbers**: IBANs (country length and ISO 7064 mod-97 check), payment-card numbers (13–19
  digits with a known issuer prefix and a valid Luhn check digit), US Social Security numbers
  written ``123-45-6789`` (with the SSA's never-issued ranges excluded) and, at a lower severity,
  any other run of 9+ digits that is not a compact date-time (``20210601123045``).

Overlaps are resolved by precedence: e-mail, IBAN, card, SSN, phone, long number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Match", "find_pii", "redact", "SEVERITY", "redact_name", "redact_token"]

# Severity (0..1) per kind/subtype: what it costs if the text leaves the building.
SEVERITY = {
    ("email", "email"): 0.8,
    ("phone", "phone"): 0.75,
    ("id-number", "payment-card"): 0.95,
    ("id-number", "iban"): 0.9,
    ("id-number", "us-ssn"): 0.9,
    ("id-number", "long-number"): 0.35,
}


@dataclass(frozen=True)
class Match:
    kind: str  # email | phone | id-number
    subtype: str  # email | phone | iban | payment-card | us-ssn | long-number
    start: int
    end: int
    preview: str  # redacted: safe to show in a report
    severity: float

    def describe(self) -> str:
        what = {"email": "e-mail address", "phone": "phone number", "iban": "IBAN",
                "payment-card": "payment card number", "us-ssn": "US social security number",
                "long-number": "long ID-like number"}[self.subtype]
        return f"{what} {self.preview}"


# ---------------------------------------------------------------- redaction helpers


def _mask_digits(s: str, keep_head: int, keep_tail: int) -> str:
    """Replace digits (and letters) by '*' except the first `keep_head` and last `keep_tail` of them;
    separators stay, so the shape of the number is still recognisable."""
    positions = [i for i, c in enumerate(s) if c.isalnum()]
    keep = set(positions[:keep_head]) | set(positions[len(positions) - keep_tail:] if keep_tail else [])
    return "".join(c if (not c.isalnum() or i in keep) else "*" for i, c in enumerate(s))


def redact_token(value: str, head: int = 2, tail: int = 2) -> str:
    """A serial number or ID with all but a few characters masked: '042033006980' -> '04********80'.
    Short values (up to 4 characters) are masked whole."""
    value = value.strip()
    n = sum(c.isalnum() for c in value)
    if n <= 4:
        return "*" * max(len(value), 1)
    if n <= head + tail + 2:
        head, tail = 1, 1
    return _mask_digits(value, head, tail)


def redact_name(value: str) -> str:
    """A person's name with only each word's first letter kept: 'Jane Doe' -> 'J*** D**'."""
    words = value.split()
    return " ".join(w[0] + "*" * (len(w) - 1) for w in words) if words else ""


def _email_preview(s: str) -> str:
    local, _, domain = s.partition("@")
    return f"{local[:1]}***@{domain}"


# ---------------------------------------------------------------- e-mail

_EMAIL = re.compile(
    r"(?<![\w.%+\-])[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?"
    r"@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,24}(?![A-Za-z0-9\-]|\.[A-Za-z0-9])")

# ---------------------------------------------------------------- IBAN

# ISO 13616 lengths (SWIFT IBAN registry) for the countries that issue IBANs.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
_IBAN = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})(\d{2})((?:[ ]?[A-Z0-9]){11,30})")


def iban_valid(compact: str) -> bool:
    """ISO 7064 mod 97-10 over the rearranged IBAN (country + check digits moved to the end)."""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        return False
    want = _IBAN_LENGTHS.get(compact[:2])
    if want is not None and len(compact) != want:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _find_iban(text: str):
    for m in _IBAN.finditer(text):
        country = m.group(1)
        # map compact positions back to text positions so the span ends on the last IBAN character
        ends = []  # text index just past the n-th alphanumeric character
        for i in range(m.start(), m.end()):
            if text[i].isalnum():
                ends.append(i + 1)
        compact_all = "".join(c for c in m.group(0) if c.isalnum())
        lengths = [_IBAN_LENGTHS[country]] if country in _IBAN_LENGTHS else range(len(compact_all), 14, -1)
        for n in lengths:
            if n > len(compact_all):
                continue
            end = ends[n - 1]
            if end < len(text) and text[end].isalnum():
                continue  # the IBAN would end inside a word
            if iban_valid(compact_all[:n]):
                yield m.start(), end, compact_all[:n]
                break


# ---------------------------------------------------------------- payment cards

_CARD = re.compile(r"(?<![\d\-.])\d(?:[ \-]?\d){12,18}(?![\d\-]|\.\d)")


def luhn_valid(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_issuer(d: str) -> bool:
    n = len(d)
    if d[0] == "4":
        return n in (13, 16, 19)  # Visa
    if 51 <= int(d[:2]) <= 55 or 2221 <= int(d[:4]) <= 2720:
        return n == 16  # Mastercard
    if d[:2] in ("34", "37"):
        return n == 15  # American Express
    if d[:4] == "6011" or d[:2] == "65" or 644 <= int(d[:3]) <= 649:
        return 16 <= n <= 19  # Discover
    if 3528 <= int(d[:4]) <= 3589:
        return 16 <= n <= 19  # JCB
    if d[:2] in ("36", "38", "39") or 300 <= int(d[:3]) <= 305:
        return 14 <= n <= 19  # Diners Club
    if d[:2] == "62":
        return 16 <= n <= 19  # UnionPay
    return False


def _find_cards(text: str):
    for m in _CARD.finditer(text):
        s = m.group(0)
        seps = set(re.sub(r"\d", "", s))
        if len(seps) > 1:
            continue  # "1234 5678-9012..." mixes separators: not how a card number is written
        digits = re.sub(r"\D", "", s)
        if 13 <= len(digits) <= 19 and _card_issuer(digits) and luhn_valid(digits) and len(set(digits)) > 1:
            yield m.start(), m.end(), s


# ---------------------------------------------------------------- US SSN

_SSN = re.compile(r"(?<![\w\-.])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w\-]|\.\d)")

# ---------------------------------------------------------------- phones

# A run of digits with the separators phone numbers are written with; ':' (times) and ',' are not.
_PHONE = re.compile(r"(?<![\w+@/.\-])(?:\+|\(\+?)?\d[\d ().\-/\u00a0]{5,24}\d(?![\w@/\-]|[.,]\d)")
_DATE_INSIDE = re.compile(
    r"(?<!\d)(?:(?:1[89]|20)\d\d[./\- ](?:0?[1-9]|1[0-2])[./\- ](?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])[./\- ](?:0?[1-9]|1[0-2])[./\- ](?:(?:1[89]|20)\d\d|\d\d))(?!\d)")
_NANP = re.compile(r"(?:\+?1[ .\-]?)?(?:\([2-9]\d{2}\)[ .\-]?|[2-9]\d{2}[ .\-])[2-9]\d{2}[ .\-]\d{4}")


def _phone_ok(s: str) -> bool:
    s = s.strip()
    digits = re.sub(r"\D", "", s)
    seps = re.sub(r"[\d\s\u00a0]", "", s)
    if len(set(digits)) <= 2:
        return False  # 0000000000, 1111-1111: placeholders
    if s.count("(") != s.count(")"):
        return False
    if seps == "." or re.fullmatch(r"[+(]?\d+\.\d+\)?", s):
        return False  # one decimal point: a number or a coordinate, not a phone
    if "/" in s and re.search(r"\d/\d", s) and not s.startswith(("+", "0", "(")):
        return False
    if _DATE_INSIDE.search(s):
        return False
    if s.startswith("+") or s.startswith("(+"):
        return 8 <= len(digits) <= 15 and digits[0] != "0"
    if digits.startswith("00"):
        return 10 <= len(digits) <= 17 and digits[2] != "0"
    if _NANP.fullmatch(s):
        return True
    if digits.startswith("0"):
        groups = re.split(r"[^\d]+", s.strip("()"))
        if any(len(g) > 8 for g in groups if g) and len(groups) > 1:
            return False
        return 9 <= len(digits) <= 12
    return False


def _find_phones(text: str):
    for m in _PHONE.finditer(text):
        s = m.group(0)
        # the pattern is greedy over spaces: trim a trailing group that is clearly something else
        candidates = [s]
        parts = re.split(r"(\s+)", s)
        for k in range(len(parts) - 2, 0, -2):
            candidates.append("".join(parts[:k]))
        for c in candidates:
            c = c.rstrip(" -./(\u00a0")
            if _phone_ok(c):
                yield m.start(), m.start() + len(c), c
                break


def _phone_preview(s: str) -> str:
    head = 2
    return ("+" if s.startswith("+") else "") + _mask_digits(s.lstrip("+"), head, 2)


# ---------------------------------------------------------------- long digit runs

_LONG = re.compile(r"(?<![\w.,/:+\-])\d{9,}(?![\w/:\-]|[.,]\d)")


def _datetime_run(s: str) -> bool:
    for fmt, n in (("%Y%m%d%H%M%S", 14), ("%Y%m%d%H%M", 12), ("%Y%m%d%H%M%S%f", 17)):
        if len(s) == n or (fmt.endswith("%f") and len(s) > 14):
            try:
                dt = datetime.strptime(s[:14], "%Y%m%d%H%M%S") if n == 17 else datetime.strptime(s, fmt)
            except ValueError:
                continue
            if 1900 <= dt.year <= 2100:
                return True
    return False


def _find_long(text: str):
    for m in _LONG.finditer(text):
        s = m.group(0)
        if len(set(s)) <= 2 or _datetime_run(s):
            continue
        yield m.start(), m.end(), s


# ---------------------------------------------------------------- all together


def find_pii(text: str | None) -> list[Match]:
    """Every e-mail, phone and ID-like number in `text`, in order of position; overlaps resolved
    by precedence (e-mail, IBAN, card, SSN, phone, long number)."""
    if not text:
        return []
    found: list[Match] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    def add(kind: str, sub: str, a: int, b: int, preview: str) -> None:
        if free(a, b):
            taken.append((a, b))
            found.append(Match(kind, sub, a, b, preview, SEVERITY[(kind, sub)]))

    for m in _EMAIL.finditer(text):
        add("email", "email", m.start(), m.end(), _email_preview(m.group(0)))
    for a, b, compact in _find_iban(text):
        add("id-number", "iban", a, b, compact[:2] + "** " + "*" * 4 + " … " + compact[-2:])
    for a, b, s in _find_cards(text):
        add("id-number", "payment-card", a, b, _mask_digits(s, 0, 4))
    for m in _SSN.finditer(text):
        add("id-number", "us-ssn", m.start(), m.end(), _mask_digits(m.group(0), 0, 2))
    for a, b, s in _find_phones(text):
        add("phone", "phone", a, b, _phone_preview(s))
    for a, b, s in _find_long(text):
        add("id-number", "long-number", a, b, _mask_digits(s, 2, 2))
    return sorted(found, key=lambda m: m.start)


def redact(text: str, matches: list[Match] | None = None) -> str:
    """`text` with every match replaced by its redacted preview."""
    matches = find_pii(text) if matches is None else matches
    out, pos = [], 0
    for m in sorted(matches, key=lambda m: m.start):
        out.append(text[pos:m.start])
        out.append(m.preview)
        pos = m.end
    out.append(text[pos:])
    return "".join(out)
