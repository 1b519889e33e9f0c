"""Characters no entered text may hold: what a console, a CSV or a bundle shows later must read as it was stored.

Refused everywhere (names, reasons, evidence, system names, ids, keys): NUL and the other C0 controls except tab,
line feed and carriage return; DEL and the C1 controls; bidirectional overrides, embeddings, isolates and marks
(`abc\u202egnp.exe` displays as `abcexe.png`); lone surrogates and noncharacters (I-JSON, RFC 7493 section 2.1).
Single-line fields refuse tab and line breaks too; emails refuse every format character (a zero-width space).
"""

import re
import unicodedata

_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # controls (tab, LF, CR are judged per field)
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi: ALM, LRM, RLM, embeddings/overrides, isolates
    "\ud800-\udfff"  # lone surrogates (json.loads lets `\ud800` through)
    "\ufdd0-\ufdef\ufffe\uffff]"  # noncharacters
)
_LINE_BREAKS = re.compile("[\t\n\r\u0085\u2028\u2029]")


def unsafe_issue(text: str) -> str | None:
    """Why `text` may not be stored, or None."""
    found = _UNSAFE.search(text)
    if found is None:
        return _plane_noncharacter(text)
    char = found.group()
    kind = "bidirectional control" if char in _BIDI else ("control" if unicodedata.category(char) == "Cc"
                                                           else "disallowed")
    return f"contains a {kind} character (U+{ord(char):04X})"


_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _plane_noncharacter(text: str) -> str | None:
    if text.isascii():
        return None
    for char in text:
        if ord(char) > 0xFFFF and ord(char) & 0xFFFE == 0xFFFE:
            return f"contains a disallowed character (U+{ord(char):04X})"
    return None


def line_issue(text: str) -> str | None:
    """Why `text` is not a single safe line, or None."""
    if text.isascii() and text.isprintable():  # the common case: no control, line break or DEL, nothing else to find
        return None
    found = _LINE_BREAKS.search(text)
    if found:
        return f"must be a single line (contains U+{ord(found.group()):04X})"
    return unsafe_issue(text)


def email_issue(text: str) -> str | None:
    """An address is letters, digits and punctuation: controls, format characters (zero-width space, joiners,
    bidi marks), private-use and unassigned code points have no place in one."""
    if text.isascii():
        return line_issue(text)
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs", "Cn"):
            return f"contains an invisible or unassigned character (U+{ord(char):04X})"
    return None
