"""How feedparser 6 names feed elements, and what each name is to ``bot.ingest.reader``.

feedparser calls an element by its namespace's standard prefix and its local name, lower-cased
and joined by "_" (``content_encoded``, ``dc_date``), or by the bare local name for the feed
formats' own namespaces (RSS, RDF site summary, Atom) and for no namespace; its handler for that
name decides what the element means. ``feedparser_key`` gives that name from expat's
"uri local prefix" form; ``ROLES`` and the sets below say which names the reader models, which
it may pass over, and which make it hand the body to feedparser.
"""

from __future__ import annotations

import enum

# Namespace URIs (lower-cased) feedparser knows, with the prefix it calls their elements by
# ("" for the feed formats' own).
_FORMATS = (
    "", "http://backend.userland.com/rss", "http://blogs.law.harvard.edu/tech/rss",
    "http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/",
    "http://example.com/newformat#", "http://example.com/necho", "http://purl.org/echo/",
    "uri/of/echo/namespace#", "http://purl.org/pie/", "http://purl.org/atom/ns#",
    "http://www.w3.org/2005/atom", "http://purl.org/rss/1.0/modules/rss091#",
)  # fmt: skip
_PREFIXED = {
    "http://webns.net/mvcb/": "admin",
    "http://purl.org/rss/1.0/modules/aggregation/": "ag",
    "http://purl.org/rss/1.0/modules/annotate/": "annotate",
    "http://media.tangent.org/rss/1.0/": "audio",
    "http://backend.userland.com/blogchannelmodule": "blogChannel",
    "http://creativecommons.org/ns#license": "cc",
    "http://web.resource.org/cc/": "cc",
    "http://cyber.law.harvard.edu/rss/creativecommonsrssmodule.html": "creativeCommons",
    "http://backend.userland.com/creativecommonsrssmodule": "creativeCommons",
    "http://purl.org/rss/1.0/modules/company": "co",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://my.theinfo.org/changed/1.0/rss/": "cp",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://purl.org/rss/1.0/modules/email/": "email",
    "http://purl.org/rss/1.0/modules/event/": "ev",
    "http://rssnamespace.org/feedburner/ext/1.0": "feedburner",
    "http://freshmeat.net/rss/fm/": "fm",
    "http://xmlns.com/foaf/0.1/": "foaf",
    "http://www.w3.org/2003/01/geo/wgs84_pos#": "geo",
    "http://www.georss.org/georss": "georss",
    "http://www.opengis.net/gml": "gml",
    "http://postneo.com/icbm/": "icbm",
    "http://purl.org/rss/1.0/modules/image/": "image",
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "http://example.com/dtds/podcast-1.0.dtd": "itunes",
    "http://purl.org/rss/1.0/modules/link/": "l",
    "http://search.yahoo.com/mrss": "media",
    "http://search.yahoo.com/mrss/": "media",
    "http://madskills.com/public/xml/rss/module/pingback/": "pingback",
    "http://prismstandard.org/namespaces/1.2/basic/": "prism",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs",
    "http://purl.org/rss/1.0/modules/reference/": "ref",
    "http://purl.org/rss/1.0/modules/richequiv/": "reqv",
    "http://purl.org/rss/1.0/modules/search/": "search",
    "http://purl.org/rss/1.0/modules/slash/": "slash",
    "http://schemas.xmlsoap.org/soap/envelope/": "soap",
    "http://purl.org/rss/1.0/modules/servicestatus/": "ss",
    "http://hacks.benhammersley.com/rss/streaming/": "str",
    "http://purl.org/rss/1.0/modules/subscription/": "sub",
    "http://purl.org/rss/1.0/modules/syndication/": "sy",
    "http://schemas.pocketsoap.com/rss/mydescmodule/": "szf",
    "http://purl.org/rss/1.0/modules/taxonomy/": "taxo",
    "http://purl.org/rss/1.0/modules/threading/": "thr",
    "http://purl.org/rss/1.0/modules/textinput/": "ti",
    "http://madskills.com/public/xml/rss/module/trackback/": "trackback",
    "http://wellformedweb.org/commentapi/": "wfw",
    "http://purl.org/rss/1.0/modules/wiki/": "wiki",
    "http://www.w3.org/1999/xhtml": "xhtml",
    "http://www.w3.org/1999/xlink": "xlink",
    "http://www.w3.org/xml/1998/namespace": "xml",
    "http://podlove.org/simple-chapters": "psc",
}
STANDARD_PREFIXES: dict[str, str] = {uri: "" for uri in _FORMATS} | _PREFIXED


def standard_prefix(lowered_uri: str) -> str | None:
    """feedparser's prefix for a namespace ("" for the feed formats'), None if unknown."""
    return STANDARD_PREFIXES.get(lowered_uri)


def feedparser_key(
    name: str, in_use: dict[str, str], prefixes: dict[str | None, str]
) -> tuple[str, bool]:
    """feedparser's name for the element expat calls ``name``, given the namespaces declared
    so far (feedparser's ``namespaces_in_use`` and ``namespacemap``), and whether the bounds
    of ``bot.ingest.shape`` count it as an item (its local name is item or entry)."""
    parts = name.split(" ")
    uri, local = ("", parts[0]) if len(parts) == 1 else (parts[0], parts[1])
    lowered = uri.lower()
    if "backend.userland.com/rss" in lowered:
        uri = lowered = "http://backend.userland.com/rss"
    local = local.lower()
    standard = STANDARD_PREFIXES.get(lowered)
    tag = local
    if standard:
        tag = f"{standard.lower()}:{local}"
    elif uri:
        for prefix, value in in_use.items():
            if prefix and value == uri:
                tag = f"{prefix}:{local}".lower()
                break
    prefix, suffix = tag.split(":", 1) if ":" in tag else ("", tag)
    prefix = prefixes.get(prefix, prefix)
    return (f"{prefix}_{suffix}" if prefix else suffix), local in ("item", "entry")


class Role(enum.Enum):
    """What an element is to the reader."""

    OUTSIDE = enum.auto()  # outside any item: passed over
    ITEM = enum.auto()
    GENERIC = enum.auto()  # no handler in feedparser: kept as a value nobody reads
    OPAQUE = enum.auto()  # handled by feedparser, harmless, but not looked into
    TITLE = enum.auto()
    MEDIA_TITLE = enum.auto()  # a title that leaves feedparser's title depth alone
    DESCRIPTION = enum.auto()  # a summary whose default type is HTML
    SUMMARY = enum.auto()
    CONTENT = enum.auto()
    ENCODED = enum.auto()  # content:encoded, HTML by default
    LINK = enum.auto()
    LINK_TEXT = enum.auto()  # an RSS link, read from its text
    GUID = enum.auto()
    PUBLISHED = enum.auto()
    UPDATED = enum.auto()
    HAND_OVER = enum.auto()


ROLES: dict[str, Role] = {
    "title": Role.TITLE,
    "dc_title": Role.TITLE,
    "media_title": Role.MEDIA_TITLE,
    "description": Role.DESCRIPTION,
    "dc_description": Role.DESCRIPTION,
    "media_description": Role.DESCRIPTION,
    "summary": Role.SUMMARY,
    "itunes_summary": Role.SUMMARY,
    "content": Role.CONTENT,
    "content_encoded": Role.ENCODED,
    "link": Role.LINK,
    "guid": Role.GUID,
    "id": Role.GUID,
    "pubdate": Role.PUBLISHED,
    "published": Role.PUBLISHED,
    "issued": Role.PUBLISHED,
    "dcterms_issued": Role.PUBLISHED,
    "updated": Role.UPDATED,
    "modified": Role.UPDATED,
    "lastbuilddate": Role.UPDATED,
    "dc_date": Role.UPDATED,
    "dcterms_modified": Role.UPDATED,
}
ROOT_KEYS = frozenset({"rss", "feed", "rdf_rdf"})
ITEM_KEYS = frozenset({"item", "entry"})
# Elements that may hold the modeled ones: feedparser does nothing on them.
TRANSPARENT = frozenset({"media_group", "media_content"})
# Elements feedparser handles without touching what the reader models or its state; what is
# inside them is not looked into (some read their children as text).
INERT = frozenset(
    {"category", "keywords", "dc_subject", "media_category", "media_keywords", "tags"}
    | {"itunes_category", "itunes_keywords", "author", "dc_author", "dc_creator"}
    | {"itunes_author", "managingeditor", "name", "itunes_name", "email", "itunes_email"}
    | {"url", "uri", "homepage", "contributor", "dc_contributor", "enclosure"}
    | {"media_thumbnail", "media_credit", "media_rating", "media_restriction"}
    | {"media_license", "media_player", "itunes_image", "itunes_owner", "itunes_explicit"}
    | {"itunes_block", "width", "height", "language", "dc_language", "generator", "created"}
    | {"dcterms_created", "expirationdate", "dcterms_valid", "webmaster", "dc_publisher"}
    | {"rights", "copyright", "dc_rights", "subtitle", "tagline", "itunes_subtitle", "info"}
    | {"feedburner_browserfriendly"}
)
# Harmless too, but feedparser forgets the entry's title depth on them.
RESET_TITLE = frozenset({"image", "source"})
# Every other name feedparser has a handler for (items, sources, images, XHTML bodies, base64
# and geo elements, …) makes the reader hand over inside an item.
HANDLED = frozenset(
    {"abstract", "body", "channel", "cloud", "entry", "feed", "fullitem", "item"}
    | {"newlocation", "rss", "textinput", "xhtml_body", "cc_license", "georssgeom"}
    | {"creativecommons_license", "psc_chapter", "psc_chapters", "where", "geom", "itunes_link"}
    | {"georss_box", "georss_line", "georss_point", "georss_polygon", "georss_where"}
    | {"gml_exterior", "gml_linearring", "gml_linestring", "gml_point", "gml_polygon"}
    | {"gml_pos", "gml_poslist", "div", "xhtml_div"}
)
# Values feedparser keeps in an entry or the feed under these names, and works on: an element
# of the same name with no handler would overwrite them.
RESERVED = frozenset(
    {"links", "tags", "authors", "contributors", "guidislink", "media_content", "image"}
    | {"media_thumbnail", "media_credit", "media_rating", "media_restriction", "source"}
    | {"media_license", "media_player", "textinput", "content", "summary", "id", "link"}
)
# Outside items, these would make feedparser take an item's first summary for content.
FORBIDDEN_OUTSIDE = frozenset(
    {"content", "content_encoded", "fullitem", "summary", "itunes_summary", "body"}
    | {"xhtml_body", "div", "xhtml_div"}
)
CONTENT_TYPES = {
    "text": "text/plain",
    "plain": "text/plain",
    "html": "text/html",
    "xhtml": "application/xhtml+xml",
}


ALL_HANDLED = frozenset(ROLES) | TRANSPARENT | INERT | RESET_TITLE | HANDLED


def generic_ok(key: str) -> bool:
    """Whether an element with no handler is harmless: its name is none feedparser keeps."""
    return key not in RESERVED and not key.endswith(("_parsed", "_detail"))
