"""html_to_text: feed HTML to the plain text the filter, the store and the digests see."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.text import html as html_module
from bot.text.html import html_to_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("", ""),
        ("   ", ""),
        ("plain words", "plain words"),
        ("<p>Hello <b>world</b></p><p>Second</p>", "Hello world\nSecond"),
        ("one<br>two<br/>three<br />four", "one\ntwo\nthree\nfour"),
        ("<ul><li>a</li><li>b</li></ul>", "a\nb"),
        ("<h1>Title</h1>body", "Title\nbody"),
        ("<div>x</div><div>y</div>", "x\ny"),
        ("<b>Kim</b> <i>Jong Un</i>", "Kim Jong Un"),
        ("<a href='https://x'>link</a>text", "linktext"),
        # Entities, named and numeric; &nbsp; folds like any other space.
        (
            "Putin &amp; Kim&nbsp;&nbsp;met &#8212; &#x2014; &quot;x&quot;",
            'Putin & Kim met — — "x"',
        ),
        ("AT&amp;T &lt;b&gt;", "AT&T <b>"),
        # Hidden contents.
        ("<script>alert('<p>x</p>')</script>ok", "ok"),
        ("<style>p { color: red }</style>shown", "shown"),
        ("<noscript><p>enable JS</p></noscript>rest", "rest"),
        ("x <!-- a comment --> y", "x y"),
        # A source line break inside a paragraph is a space, not a new line.
        ("<p>Kim\n   Jong\tUn</p>", "Kim Jong Un"),
        # Without tags, the text's own lines are kept.
        ("line one\n\n  line two  ", "line one\nline two"),
        ("a < b and c > d", "a < b and c > d"),
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("روسيا <b>وكوريا</b> الشمالية", "روسيا وكوريا الشمالية"),
        ("<p>كيم&nbsp;جونغ&nbsp;أون</p>", "كيم جونغ أون"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_unknown_marked_section_is_not_an_error() -> None:
    # In Python 3.11's _markupbase these raise AssertionError.
    assert html_to_text("<p>a</p><![foo[b]]> c <![") == "a\nc <!["


def test_cdata_outside_svg_hides_like_a_browser() -> None:
    assert html_to_text("<p>seen</p><![CDATA[hidden]]>after") == "seen\nafter"


@pytest.mark.parametrize("piece", ["<a ", "</", "<!", "<!--", "<![CDATA[", "<?", "<a b='"])
def test_unterminated_constructs_in_bulk_are_read_as_text(piece: str) -> None:
    # Unpatched html.parser rescans to the end of the input once per unterminated "<": for
    # "<a " * 20_000 that took minutes. Here the text comes back, and without delay.
    html = "start " + piece * 20_000
    text = html_to_text(html)
    assert text.startswith("start")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/!-[]?ab &;#x'\"=\n\tكو")), max_size=200))
def test_never_raises_and_output_is_folded(html: str) -> None:
    text = html_to_text(html)
    assert text == text.strip()
    assert "\n\n" not in text
    assert "  " not in text


@given(st.text(alphabet=st.characters(blacklist_characters="<&"), max_size=200))
def test_text_without_markup_only_has_its_whitespace_folded(text: str) -> None:
    words = html_to_text(text).split()
    assert words == text.split()


@pytest.mark.parametrize("limit", [1, 7, 40, 333, 5_000])
@settings(max_examples=60, deadline=None)
@given(html=st.text(alphabet="<>/ab &;#p!-\n\u0628", max_size=400))
def test_a_limit_is_the_whole_text_cut_at_a_word(limit: int, html: str) -> None:
    whole = html_to_text(html)
    bounded = html_to_text(html, limit)
    assert len(bounded) <= limit
    assert whole.startswith(bounded)
    if len(whole) <= limit:
        assert bounded == whole
    elif bounded:
        # cut after a whole word (the next character of the whole text is a space), unless
        # the first word alone is longer than the limit
        cut_hard = len(bounded) == limit and not any(ch.isspace() for ch in bounded)
        assert whole[len(bounded)].isspace() or cut_hard


def test_a_limit_stops_parsing_once_the_text_is_in(monkeypatch: pytest.MonkeyPatch) -> None:
    fed: list[int] = []
    original = html_module._TextCollector.feed

    def counting_feed(self: html_module._TextCollector, data: str) -> None:
        fed.append(len(data))
        original(self, data)

    monkeypatch.setattr(html_module._TextCollector, "feed", counting_feed)
    html = "<p>" + "word <b>bold</b> " * 20_000 + "</p>"
    text = html_to_text(html, 1_000)
    assert 900 <= len(text) <= 1_000
    assert sum(fed) < len(html) // 10


_SIMPLE_PIECES = [
    "<p>", "</p>", "<P class='a>b'>", "<br>", "<br/>", "<BR />", "<b>", "</b>", "<a href=x/>",
    '<a href="y">', "</a >", "<div id=1>", "</div>", "&amp;", "&am", "p;", "&#10;", "&#x41",
    "&lt", "&nbsp;", " ", "\n", "\t", "word", "كلمة", ">", '<img src=a.png alt="x">', "<td>",
    "<li>", "&", "<h1>", "<span\nclass='q'>", "</span>", "\x1c", "\u2028", "\xa0", "<p/>",
]  # fmt: skip


def _by_the_parser(html: str) -> str:
    collector = html_module._TextCollector()
    collector.feed(html)
    collector.close()
    return html_module._fold("".join(collector.parts))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_SIMPLE_PIECES), max_size=40))
def test_plain_tags_and_text_read_as_the_parser_reads_them(pieces: list[str]) -> None:
    html = "".join(pieces)
    assume("<" in html)  # text without a tag is plain text, which keeps its own line breaks
    assert html_to_text(html) == _by_the_parser(html)


def test_plain_tags_and_text_are_read_without_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_parser(self: object, data: str) -> None:
        raise AssertionError("html.parser was used")

    monkeypatch.setattr(html_module._TextCollector, "feed", no_parser)
    html = '<p class="lead">Putin &amp; <a href=/kim>Kim</a></p><p>met<br/>today</p>'
    assert html_to_text(html) == "Putin & Kim\nmet\ntoday"
    with pytest.raises(AssertionError):  # a comment is no plain tag: the parser reads it
        html_to_text("<p>a<!-- b --></p>")
