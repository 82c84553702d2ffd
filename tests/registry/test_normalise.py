"""Arabic-script folding: the same service is found however its name was typed."""

from __future__ import annotations

import pytest

from services.registry.search.normalise import (
    index_terms,
    lookup_terms,
    normalise,
    query_words,
    tokens,
    words_of,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("أربيل", "اربيل"),  # alef with hamza above
        ("إربيل", "اربيل"),  # alef with hamza below
        ("آمدي", "امدي"),  # alef with madda
        ("ٱلموصل", "الموصل"),  # alef wasla
        ("مُسَاعَدَةٌ", "مساعده"),  # harakat, tanween, teh marbuta
        ("مساعدة", "مساعده"),  # teh marbuta against heh
        ("مستشفى", "مستشفي"),  # alef maksura against yeh
        ("کوردستان", "كوردستان"),  # keheh against Arabic kaf
        ("ڕاوێژکاری", "راويزكاري"),  # Sorani rr, ê, zh, keheh
        ("راويژكاري", "راويزكاري"),  # typed on an Arabic keyboard with one Persian letter
        ("هەولێر", "ههولير"),  # Sorani ae and ê
        ("هه\u200cولیر", "ههولير"),  # with a zero-width non-joiner, Farsi yeh
        ("دهۆک", "دهوك"),  # Sorani o
        ("شەقڵاوە", "شهقلاوه"),  # Sorani ll
        ("گەڕانەوە", "كهرانهوه"),  # gaf folded with kaf
        ("مـــركز", "مركز"),  # tatweel
        ("٢٠٢٥ و ۲۰۲۵", "2025 و 2025"),  # Arabic-Indic and Persian digits
        ("ﻻ", "لا"),  # presentation form
        ("Sulaymānīyah", "sulaymaniyah"),  # Latin diacritics
        ("Psycho-social  SUPPORT!", "psycho social support"),
    ],
)
def test_folding(typed: str, stored: str) -> None:
    assert normalise(typed) == stored


def test_variant_spellings_meet() -> None:
    assert normalise("الإرشاد النفسي") == normalise("الارشاد النفسى")
    assert normalise("ڕاوێژکاریی دەروونی") == normalise("راويژكاريي دەرووني")


def test_tokens_are_distinct_and_in_order() -> None:
    assert tokens("دعم  نفسي دعم") == ["دعم", "نفسي"]
    assert tokens(None) == []
    assert tokens("   ") == []


def test_index_terms_of_words_and_of_query_words() -> None:
    assert index_terms("abcd") == {" ab", "abc", "bcd"}
    assert index_terms("نفسي") == {" نف", "نفس", "فسي"}
    assert lookup_terms("psych") == {"psy", "syc", "ych"}  # anywhere in a word
    assert lookup_terms("id") == {" id"}  # a two-letter word: at the start of a word
    assert lookup_terms("psych") <= index_terms("psychosocial")
    assert lookup_terms("soc") <= index_terms("psychosocial")
    assert not lookup_terms("id") <= index_terms("provider")
    assert words_of("a bc bc def") == ["bc", "def"]


def test_query_words_drop_short_and_common_words_and_the_arabic_article() -> None:
    assert query_words("الاستقبال في المطار") == ["استقبال", "مطار"]
    assert query_words("للعائدين والاجتماعي") == ["عايدين", "اجتماعي"]
    assert query_words("housing for families") == ["housing", "families"]
    assert query_words("ڕاوێژکاری بۆ گەڕاوەکان") == ["راويزكاري", "كهراوهكان"]
    assert query_words("ال") == ["ال"]  # too short to lose its article
    assert query_words("في") == ["في"]  # nothing else left: the stopword is kept
    assert query_words("و a") == []  # single letters are never matched
