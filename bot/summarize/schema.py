"""The LLM's answer: the JSON schema it must follow and the checks it must pass.

The answer is untrusted input, so it is validated here before it becomes a ``Summary``:
valid JSON with exactly the four fields; Arabic fields mostly in Arabic script and English
fields mostly in Latin script; headlines on one line; nothing a chat would make clickable (links,
bare domains such as ``t.me/x``, e-mail addresses, @handles, /commands), no markdown, no HTML;
lengths capped. Links in a digest come from the feeds, never from the model. Invisible
characters (bidi overrides, zero-width spaces; see ``bot.text.display``) are deleted first, so
they can neither reach a chat nor hide a link from these checks.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from bot.llm.usage import AnswerError as AnswerError  # where the answer checks raise it
from bot.models import Summary
from bot.text.display import link_like, strip_hidden

HEADLINE_MAX = 200
SUMMARY_MAX = 700
SCRIPT_MIN_SHARE = 0.6

FIELDS = ("headline_ar", "summary_ar", "headline_en", "summary_en")

JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "headline_ar": {"type": "string", "description": "Arabic headline, one line"},
        "summary_ar": {"type": "string", "description": "Arabic summary, 2-3 sentences"},
        "headline_en": {"type": "string", "description": "English headline, one line"},
        "summary_en": {"type": "string", "description": "English summary, 2-3 sentences"},
    },
    "required": list(FIELDS),
    "additionalProperties": False,
}

RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {"name": "story_summary", "strict": True, "schema": JSON_SCHEMA},
}

_URL_RE = re.compile(r"https?://|www\.", re.IGNORECASE)
_MARKDOWN_RE = re.compile(r"\*\*|__|#|`|\[[^\]]*\]\([^)]*\)")
_HTML_RE = re.compile(r"<\s*/?\s*[A-Za-z][^>]*>")


def _is_arabic(char: str) -> bool:
    code = ord(char)
    return (
        0x0600 <= code <= 0x06FF
        or 0x0750 <= code <= 0x077F
        or 0x08A0 <= code <= 0x08FF
        or 0xFB50 <= code <= 0xFDFF
        or 0xFE70 <= code <= 0xFEFF
    )


def _is_latin(char: str) -> bool:
    return ord(char) < 0x0250


def script_share(text: str, script: str) -> float:
    """The share of letters in ``text`` written in ``script`` ("ar" or "latin")."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    test = _is_arabic if script == "ar" else _is_latin
    return sum(1 for ch in letters if test(ch)) / len(letters)


_LINE_BREAK = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def _clean(text: str) -> str:
    """``text`` without invisible characters, whitespace folded; ``ValueError`` names what a
    chat would make clickable or format."""
    text = strip_hidden(text)
    if not text:
        raise ValueError("is empty once invisible characters are removed")
    if _URL_RE.search(text):
        raise ValueError("contains a link or web address")
    if _MARKDOWN_RE.search(text):
        raise ValueError("contains markdown")
    if _HTML_RE.search(text):
        raise ValueError("contains HTML")
    # NFKC for the check only: a full-width "ｅｖｉｌ．ｒｕ" is a link too
    found = link_like(unicodedata.normalize("NFKC", text))
    if found == "link":
        raise ValueError("contains a link or web address")
    if found == "handle":
        raise ValueError("contains an @handle or e-mail address")
    if found == "command":
        raise ValueError("contains a /command")
    return text


def _one_line(text: str) -> str:
    if _LINE_BREAK.search(text):
        raise ValueError("has more than one line")
    return text


def _arabic(text: str) -> str:
    text = _clean(text)
    if script_share(text, "ar") < SCRIPT_MIN_SHARE:
        raise ValueError("is not mostly Arabic script")
    return text


def _english(text: str) -> str:
    text = _clean(text)
    if script_share(text, "latin") < SCRIPT_MIN_SHARE:
        raise ValueError("is not mostly Latin script")
    return text


_Headline = Field(min_length=1, max_length=HEADLINE_MAX)
_Text = Field(min_length=1, max_length=SUMMARY_MAX)


class LLMAnswer(BaseModel):
    """One validated answer."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    headline_ar: Annotated[str, _Headline, AfterValidator(_one_line), AfterValidator(_arabic)]
    summary_ar: Annotated[str, _Text, AfterValidator(_arabic)]
    headline_en: Annotated[str, _Headline, AfterValidator(_one_line), AfterValidator(_english)]
    summary_en: Annotated[str, _Text, AfterValidator(_english)]

    def to_summary(self, model: str | None) -> Summary:
        return Summary(
            headline_ar=self.headline_ar,
            summary_ar=self.summary_ar,
            headline_en=self.headline_en,
            summary_en=self.summary_en,
            method="llm",
            model=model,
        )


def parse_answer(content: str | None) -> LLMAnswer:
    """Parse and check the message content, or raise ``AnswerError`` naming the first problem."""
    if not content:
        raise AnswerError("empty answer")
    try:
        return LLMAnswer.model_validate_json(content)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "answer"
        raise AnswerError(f"{where}: {first['msg']}") from None
