"""Fold text so that a service is found however its name was typed, in English, Arabic or Sorani.

The same function runs on the stored documents and on the query, so both sides meet in one form:

- Unicode NFKD, then every combining mark dropped: Latin accents (Sulaymānīyah → sulaymaniyah),
  Arabic harakat and tanween, shadda, sukun, superscript alef, Quranic marks. NFKD also splits
  alef with hamza or madda (أ إ آ) into a bare alef plus a mark, and waw and yeh with hamza (ؤ ئ)
  likewise, and maps the old presentation forms (ﻻ, ﺃ...) to base letters;
- tatweel and the invisible joiners and direction marks (ZWNJ, ZWJ, LRM, RLM, ALM) are removed;
- one letter per family, whichever keyboard was used:
  alef ٱ → ا; yeh ى ی ێ ې → ي; kaf ک ڪ → ك; heh ة ە ھ ۀ ہ → ه (teh marbuta, the Sorani "e" and
  the two-eyed heh); Kurdish ۆ ۇ ۉ → و, ڵ → ل, ڕ → ر, ڤ → ف; and پ چ ژ گ → ب ج ز ك, because an
  Arabic keyboard has none of them and Iraqi Arabic writing often replaces them so;
- Arabic-Indic and Persian digits become 0-9; letters are lower-cased (casefold);
- anything that is not a letter or digit separates words; spaces collapse.

The folding deliberately loses distinctions (ێ against ی, ھ against ە): search wants recall, and
the displayed text is never the normalised one.
"""

from __future__ import annotations

import re
import unicodedata

_FOLD = {
    # alef wasla (the hamza forms are handled by NFKD)
    "\u0671": "\u0627",
    # yeh family → Arabic yeh
    "\u0649": "\u064a",  # alef maksura
    "\u06cc": "\u064a",  # Farsi / Kurdish yeh
    "\u06ce": "\u064a",  # yeh with small v (Sorani ê)
    "\u06d0": "\u064a",  # yeh e
    "\u06d2": "\u064a",  # yeh barree
    # kaf family → Arabic kaf
    "\u06a9": "\u0643",  # keheh (Kurdish, Persian kaf)
    "\u06aa": "\u0643",  # swash kaf
    "\u06af": "\u0643",  # gaf
    # heh family → Arabic heh
    "\u0629": "\u0647",  # teh marbuta
    "\u06d5": "\u0647",  # ae (Sorani e)
    "\u06be": "\u0647",  # heh doachashmee (Sorani h)
    "\u06c0": "\u0647",  # heh with yeh above
    "\u06c1": "\u0647",  # heh goal
    # Kurdish letters with diacritics → their base letter
    "\u06c6": "\u0648",  # oe (Sorani o)
    "\u06c7": "\u0648",  # u
    "\u06c9": "\u0648",  # kirghiz yu
    "\u06b5": "\u0644",  # lam with small v (Sorani ll)
    "\u0695": "\u0631",  # reh with small v below (Sorani rr)
    "\u06a4": "\u0641",  # veh
    # letters an Arabic keyboard lacks
    "\u067e": "\u0628",  # peh
    "\u0686": "\u062c",  # tcheh
    "\u0698": "\u0632",  # jeh
}
# Arabic-Indic (U+0660..) and extended/Persian (U+06F0..) digits.
_FOLD.update({chr(0x0660 + i): str(i) for i in range(10)})
_FOLD.update({chr(0x06F0 + i): str(i) for i in range(10)})
_REMOVE = dict.fromkeys(map(ord, "\u0640\u200c\u200d\u200e\u200f\u061c\u0621"), None)  # tatweel, joiners, marks, lone hamza
_TABLE = {**{ord(k): v for k, v in _FOLD.items()}, **_REMOVE}

_SEPARATORS = re.compile(r"[^\w]+|_", re.UNICODE)


def normalise(text: str | None) -> str:
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = stripped.translate(_TABLE).casefold()
    return " ".join(_SEPARATORS.sub(" ", folded).split())


def tokens(query: str | None) -> list[str]:
    """The distinct words of a query, normalised, in the order typed."""
    seen: dict[str, None] = {}
    for word in normalise(query).split():
        seen.setdefault(word, None)
    return list(seen)


def trigrams(text: str) -> set[str]:
    """The three-letter substrings of each word of a normalised text.

    Computed here rather than by pg_trgm: pg_trgm decides what a letter is from the database's
    ctype, and under the C locale (our embedded server's, and a common production choice) it
    treats every Arabic letter as a separator, so an Arabic query would find nothing by index.
    A word is a substring of a document only if all its trigrams are the document's trigrams,
    which is what the GIN index on ``service_search.grams`` answers.
    """
    grams: set[str] = set()
    for word in text.split():
        for i in range(len(word) - 2):
            grams.add(word[i : i + 3])
    return grams
