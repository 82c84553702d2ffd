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

A query's words are then matched inside the document's words (``query_words``): a word of three
letters or more anywhere in one, a two-letter word at the start of one, single letters not at
all. Common short words (and, for, in; و، في، من; و، بۆ، لە) are dropped unless nothing else is
left, and the Arabic definite article (ال, with و ب ك ف or ل before it) is taken off a query word:
"المطار" then also finds "مطار بغداد", and "مطار" still finds "المطار" as a substring.
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
_REMOVE = dict.fromkeys(
    map(ord, "\u0640\u200c\u200d\u200e\u200f\u061c\u0621"), None
)  # tatweel, joiners, marks, lone hamza
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


_ENGLISH = ["a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"]
_ARABIC = ["في", "من", "الى", "إلى", "على", "عن", "مع", "او", "أو", "ثم"]
_SORANI = ["بۆ", "لە", "لەگەڵ", "بە", "یان", "تا", "کە"]
_STOPWORDS = frozenset(normalise(w) for w in _ENGLISH + _ARABIC + _SORANI)
# Longest first: wal-, bal-, kal-, fal-, lil- before the bare article.
_ARTICLES = tuple(normalise(a) for a in ("وال", "بال", "كال", "فال", "لل", "ال"))


def query_words(query: str | None) -> list[str]:
    """The words of a query as they are matched (see the module docstring)."""
    words = [w for w in tokens(query) if len(w) >= 2]
    meaningful = [w for w in words if w not in _STOPWORDS]
    out: dict[str, None] = {}
    for word in meaningful or words:
        for article in _ARTICLES:
            if word.startswith(article) and len(word) - len(article) >= 3:
                word = word[len(article) :]
                break
        out.setdefault(word, None)
    return list(out)


def words_of(text: str) -> list[str]:
    """The distinct words of a normalised text that a query can match (two letters or more)."""
    return list(dict.fromkeys(w for w in text.split() if len(w) >= 2))


def index_terms(word: str) -> set[str]:
    """The index terms of a vocabulary word: its three-letter substrings, and its first two letters
    after a space (so a two-letter query word can be looked up as a word start).

    Computed here rather than by pg_trgm: pg_trgm decides what a letter is from the database's
    ctype, and under the C locale (our embedded server's, and a common production choice) it
    treats every Arabic letter as a separator, so an Arabic query would find nothing by index.
    """
    terms = {" " + word[:2]} if len(word) >= 2 else set()
    terms.update(word[i : i + 3] for i in range(len(word) - 2))
    return terms


def lookup_terms(word: str) -> set[str]:
    """The index terms a vocabulary word must have to contain the query ``word``: a word of three
    letters or more anywhere, a two-letter word at its start."""
    return {" " + word} if len(word) == 2 else {word[i : i + 3] for i in range(len(word) - 2)}
