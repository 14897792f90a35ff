"""Turn a digest into Discord messages: one embed per story. Pure.

Each story is an embed: the headline as its title, the first source as its URL, the summary as
its description, and every source as a link in a "Sources" field. A message carries the digest's
header as its content and at most 10 embeds of at most 6,000 characters together; messages are
split only between stories. Each message is a JSON object (``{"content": …, "embeds": […]}``,
the embeds in Discord's own payload format), which is what the outbox stores and what the
Discord channel sends. Lengths are counted in UTF-16 code units, which is never less than what
Discord counts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.digest.more import MoreOffer
from bot.digest.render import (
    HEADLINE_CAP,
    SOURCE_NAME_CAP,
    SUMMARY_CAP,
    Part,
    header_line,
    langs,
    more_line,
    original_headline,
    source_label,
    with_update_mark,
)
from bot.digest.watch_alerts import WatchAlert, watch_layout
from bot.i18n import Catalog
from bot.models import ChatLang, Digest, DigestItem, Digits, Source
from bot.text.display import MAX_URL, for_chat, link_url, utf16_len
from bot.text.display import clip as clip  # the search embeds clip with it too

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBEDS_TOTAL = 6000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_BUTTON_LABEL = 80
EMBED_COLOUR = 0x2B6CB0

Embed = dict[str, Any]
Message = dict[str, Any]

_MARKDOWN = frozenset("\\*_~`|[]<>#")


def escape_markdown(text: str) -> str:
    """``text`` with Discord's markdown characters escaped, so that it shows as written (and
    ``<@…>``, ``<#…>`` or ``[label](url)`` in a feed's text stays text)."""
    escaped = "".join(f"\\{char}" if char in _MARKDOWN else char for char in text)
    # a list item only at the start of a line
    return "\n".join(
        f"\\{line}" if line[:1] in ("-", "+") else line for line in escaped.split("\n")
    )


def _link_url(url: str) -> str:
    """A URL that cannot end a markdown link early."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _story_text(item: DigestItem, lang: str, catalog: Catalog) -> tuple[str, str, str]:
    """The headline, a note to show before it (an untranslated story) and the text after it."""
    # Feed titles, offline extracts and model text alike: no hidden characters, nothing
    # clickable, within the caps (see bot.text.display).
    headline = with_update_mark(
        item, for_chat(item.summary.headline(lang) or "", HEADLINE_CAP), lang, catalog
    )
    if headline:
        return headline, "", escape_markdown(for_chat(item.summary.text(lang) or "", SUMMARY_CAP))
    note = f"*{escape_markdown(catalog.t(lang, 'digest.no_translation'))}*"
    text = ""
    if item.entities:
        names = " · ".join(f"{e.en} / {e.ar}" for e in item.entities)
        text = escape_markdown(f"{catalog.t(lang, 'digest.entities')}: {names}")
    original = for_chat(original_headline(item, lang), HEADLINE_CAP)
    return with_update_mark(item, original, lang, catalog), note, text


def _source_fields(
    sources: Sequence[Source], name: str, lang: str, catalog: Catalog
) -> list[dict[str, Any]]:
    """The sources as markdown links, each followed by its outlet's label, packed into as few
    fields as their limits allow."""
    fields: list[dict[str, Any]] = []
    value = ""
    for source in sources:
        url = link_url(source.url)
        if url is None:
            continue  # not a URL a message may link to (see link_url)
        text = escape_markdown(for_chat(source.name, SOURCE_NAME_CAP) or "…")
        link = f"[{text}]({_link_url(url)})"
        kind = source_label(source, lang, catalog)
        if kind:
            link = f"{link} {escape_markdown(kind)}"
        if utf16_len(link) > MAX_FIELD_VALUE:
            continue  # a URL too long for any field; the title still links the first source
        joined = f"{value} · {link}" if value else link
        if utf16_len(joined) > MAX_FIELD_VALUE:
            fields.append({"name": name, "value": value, "inline": False})
            joined = link
        value = joined
    if value:
        fields.append({"name": name, "value": value, "inline": False})
    return fields[:MAX_FIELDS]


def story_embed(item: DigestItem, langs: Sequence[str], catalog: Catalog) -> Embed:
    """One story as an embed, within every per-embed limit."""
    texts = [_story_text(item, lang, catalog) for lang in langs]
    title, note, text = texts[0]
    description = "\n".join(part for part in (note, text) if part)
    for other_headline, other_note, other_text in texts[1:]:
        extra = "\n".join(
            part
            for part in (other_note, f"**{escape_markdown(other_headline)}**", other_text)
            if part
        )
        description = f"{description}\n\n{extra}" if description else extra
    embed: Embed = {"title": clip(title, MAX_TITLE)} if title.strip() else {}
    embed["color"] = EMBED_COLOUR
    url = link_url(item.sources[0].url) if item.sources else None
    if url is not None and len(_link_url(url)) <= MAX_URL:
        embed["url"] = url
    if description:
        embed["description"] = clip(description, MAX_DESCRIPTION)
    fields = _source_fields(item.sources, catalog.t(langs[0], "digest.sources"), langs[0], catalog)
    if fields:
        embed["fields"] = fields
    if item.summary.method == "offline":
        note = " · ".join(catalog.t(lang, "digest.offline_note") for lang in langs)
        embed["footer"] = {"text": clip(note, MAX_FOOTER)}
    embed["timestamp"] = item.updated_at.isoformat()
    return _fit(embed)


def embed_size(embed: Embed) -> int:
    """Characters that count towards Discord's 6,000 per message: title, description, field
    names and values, footer text and author name."""
    size = utf16_len(embed.get("title", "")) + utf16_len(embed.get("description", ""))
    for field in embed.get("fields", ()):
        size += utf16_len(field["name"]) + utf16_len(field["value"])
    size += utf16_len(embed.get("footer", {}).get("text", ""))
    size += utf16_len(embed.get("author", {}).get("name", ""))
    return size


def _fit(embed: Embed) -> Embed:
    """Drop trailing source fields, then shorten the description, until one embed fits in a
    message on its own."""
    while embed_size(embed) > MAX_EMBEDS_TOTAL and len(embed.get("fields", ())) > 1:
        embed = {**embed, "fields": embed["fields"][:-1]}
    excess = embed_size(embed) - MAX_EMBEDS_TOTAL
    if excess > 0 and "description" in embed:
        keep = max(0, utf16_len(embed["description"]) - excess - 1)
        embed = {**embed, "description": clip(embed["description"], keep)}
    return embed


def header_text(digest: Digest, catalog: Catalog) -> str:
    """The digest's header line in each of the chat's languages."""
    lines = [
        f"**{escape_markdown(header_line(digest, lang, catalog))}**" for lang in langs(digest.lang)
    ]
    return clip("\n".join(lines), MAX_CONTENT)


def render_discord_messages(digest: Digest, catalog: Catalog) -> list[Message]:
    """The digest as Discord message payloads, split between stories."""
    return [message for message, _ in discord_messages(digest, catalog)]


def discord_messages(digest: Digest, catalog: Catalog) -> list[tuple[Message, tuple[int, ...]]]:
    """The digest as Discord message payloads, split between stories, each with the ids of
    the stories it carries."""
    codes = langs(digest.lang)
    messages: list[tuple[Message, tuple[int, ...]]] = []
    current: list[Embed] = []
    stories: list[int] = []
    size = 0
    for item in digest.items:
        embed = story_embed(item, codes, catalog)
        grow = embed_size(embed)
        if current and (len(current) >= MAX_EMBEDS or size + grow > MAX_EMBEDS_TOTAL):
            messages.append(({"embeds": current}, tuple(stories)))
            current, stories, size = [], [], 0
        current.append(embed)
        stories.append(item.story_id)
        size += grow
    if current or not messages:
        messages.append(({"embeds": current}, tuple(stories)))
    first, carried = messages[0]
    messages[0] = ({"content": header_text(digest, catalog), **first}, carried)
    more = [
        f"**{escape_markdown(line)}**"
        for code in codes
        if (line := more_line(digest, code, catalog))
    ]
    if more:  # the stories that did not fit, counted at the end of the last message
        last, carried = messages[-1]
        content = "\n\n".join(part for part in (last.get("content", ""), "\n".join(more)) if part)
        messages[-1] = ({**last, "content": clip(content, MAX_CONTENT)}, carried)
    return messages


def _payload(message: Message) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def render_discord(digest: Digest, catalog: Catalog) -> list[str]:
    """The digest as JSON message payloads, ready for the outbox."""
    return [part.text for part in discord_parts(digest, catalog)]


def discord_parts(digest: Digest, catalog: Catalog) -> list[Part]:
    """The digest as JSON message payloads, each with the ids of the stories it carries."""
    return [
        Part(_payload(message), stories) for message, stories in discord_messages(digest, catalog)
    ]


def more_components(offer: MoreOffer, catalog: Catalog) -> list[dict[str, Any]]:
    """The "Show 20 more" button as Discord components (an action row with one secondary
    button whose ``custom_id`` is ``more:TOKEN:OFFSET``)."""
    button = {
        "type": 2,
        "style": 2,
        "label": clip(offer.label(catalog), MAX_BUTTON_LABEL),
        "custom_id": offer.data,
    }
    return [{"type": 1, "components": [button]}]


def add_more_hint(payload: str, lang: str, catalog: Catalog) -> str:
    """The last message of a webhook's digest with a hint to ``/latest`` after its count line."""
    message: Message = json.loads(payload)
    hint = f"*{escape_markdown(catalog.t(lang, 'bot.more.hint'))}*"
    content = "\n".join(part for part in (message.get("content") or "", hint) if part)
    return _payload({**message, "content": clip(content, MAX_CONTENT)})


def render_discord_alert(
    item: DigestItem, *, lang: ChatLang, sources: int, catalog: Catalog, digits: Digits = "latn"
) -> str:
    """One alert as one JSON message payload: the alert line (its count in the chat's
    ``digits``) as its content, the story as its embed (as in a digest)."""
    codes = langs(lang)
    header = "\n".join(
        f"**{escape_markdown(catalog.t(code, 'alert.header', count=sources, digits=digits))}**"
        for code in codes
    )
    return _payload(
        {"content": clip(header, MAX_CONTENT), "embeds": [story_embed(item, codes, catalog)]}
    )


def render_discord_watch(alert: WatchAlert, *, lang: ChatLang, catalog: Catalog) -> str:
    """A watch alert as one JSON message payload of content only: the terms in bold, the
    headline as a markdown link (a short message; a story embed is for digests and big-story
    alerts)."""
    lines = []
    for line in watch_layout(alert, lang, catalog):
        parts = []
        for span in line:
            text = escape_markdown(span.text)
            if span.style == "bold":
                parts.append(f"**{text}**")
            elif span.style == "link" and len(_link_url(span.href)) <= MAX_URL:
                parts.append(f"[{text}](<{_link_url(span.href)}>)")
            else:
                parts.append(text)
        lines.append("".join(parts))
    return _payload({"content": clip("\n".join(lines), MAX_CONTENT)})
