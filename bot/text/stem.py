"""A light stemmer for comparing reports with each other, never for display or search.

Two reports of one event paraphrase each other: "arrives" / "arrived", "denies" / "denied",
الجنود / جنود / وجنود, اتفاقية / اتفاقيات. Story clustering compares word stems so that such
pairs count as shared words. Both sides of every comparison go through the same function, so a
stem only has to be consistent, not a real root: "putin" stays "putin" and بوتين becomes بوت
on both sides alike. Search and the topic filter keep matching whole words (see
``bot.text.normalize``), because there a mangled name would be a wrong answer.

English: a possessive, then one plural or verb ending (-ies, -es, -s, -ing, -ed), then a final
-e, and British -is- spellings folded to -iz- ("recognised" / "recognized"). Arabic: the light
stemming of the research notes (a leading و, then the article and its prefixed forms, then one
pronoun, plural or nisba suffix), always leaving three letters.
"""

from __future__ import annotations

from functools import lru_cache

from bot.text.normalize import is_arabic

_AR_ARTICLES = ("وال", "بال", "كال", "فال", "ولل", "لل", "ال")
# Suffixes after normalize (ة is ه there): plural and dual endings, nisba, pronouns.
_AR_SUFFIXES = ("هما", "يين", "يون", "يات", "ها", "ان", "ات", "ون", "ين", "يه", "هم", "ه", "ي")
_AR_MIN = 3
_AR_PRONOUNS = frozenset({"ه", "ها", "هم", "هما", "ي"})


def _stem_arabic(token: str) -> str:
    if token.startswith("و") and len(token) - 1 >= _AR_MIN + 1:
        token = token[1:]
    for article in _AR_ARTICLES:
        if token.startswith(article) and len(token) - len(article) >= _AR_MIN:
            token = token[len(article) :]
            break
    for suffix in _AR_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= _AR_MIN:
            token = token[: -len(suffix)]
            # A pronoun after a taa marbuta shows it as ت (زيارته، رحلتي): strip it as ة is.
            if suffix in _AR_PRONOUNS and token.endswith("ت") and len(token) > _AR_MIN:
                token = token[:-1]
            return token
    return token


def _stem_english(token: str) -> str:
    if token.endswith("'s"):
        token = token[:-2]
    token = token.replace("'", "")
    if len(token) <= 3 or not token.isalpha():
        return token
    if token.endswith("ies") and len(token) > 4:
        token = token[:-3] + "y"
    elif token.endswith(("sses", "shes", "ches", "xes")):
        token = token[:-2]
    elif token.endswith("s") and not token.endswith(("ss", "us", "is")):
        token = token[:-1]
    elif token.endswith("ing") and len(token) > 5:
        token = token[:-3]
    elif token.endswith("ed") and len(token) > 4:
        token = token[:-2]
        if token.endswith("i"):
            token = token[:-1] + "y"
    if token.endswith("e") and len(token) > 3:
        token = token[:-1]
    if token.endswith("enc"):  # defence / defense, licence / license
        token = token[:-1] + "s"
    if len(token) > 5 and token[-2:] == "is":
        token = token[:-2] + "iz"
    elif len(token) > 5 and token[-3:] in ("isat", "ison"):
        token = token[:-3] + "iz" + token[-1]
    return token


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """The comparison stem of one normalized token (``bot.text.normalize.tokenize``)."""
    if not token:
        return token
    if is_arabic(token[0]):
        return _stem_arabic(token)
    return _stem_english(token)
