"""The HTML the chat window shows: markers linked, spans highlighted, text escaped."""

from __future__ import annotations

import re
from html import escape

from rag.answering.base import REFUSAL
from rag.schemas import Answer, Citation, DocumentInfo, Timings
from ui import render

ARTICLE = ("Orban flew to Beijing on Monday. The two leaders met in Beijing ahead of the "
           "Belt and Road Forum. Talks <lasted> two hours & ended \"warmly\".")
SPAN = "The two leaders met in Beijing ahead of the Belt and Road Forum."


def citation(n: int = 1, text: str = SPAN, source: str = "003.txt",
             doc_id: str = "d3", score: float = 0.8123) -> Citation:
    start = ARTICLE.find(text)
    return Citation(n=n, source=source, doc_id=doc_id, chunk_id=f"{doc_id}:0", text=text,
                    start=start, end=start + len(text), score=score)


def answer(text: str, citations: list[Citation], refused: bool = False) -> Answer:
    return Answer(answer=text, refused=refused, mode="extractive", citations=citations,
                  timings_ms=Timings(retrieve=10, generate=20, total=1234))


def test_highlights_exactly_the_cited_span_in_its_context() -> None:
    cit = citation()
    html = render.render_passage(cit, ARTICLE)
    assert re.search(r"<mark>(.*?)</mark>", html).group(1) == SPAN
    assert "Orban flew to Beijing on Monday." in html  # context before
    assert "Talks &lt;lasted&gt; two hours &amp; ended &quot;warmly&quot;." in html  # after


def test_paragraph_breaks_stay_characters_so_the_mark_holds_the_cited_text() -> None:
    article = "Title line\n\nFirst para.\n\n\nSecond para."
    cit = citation(text="First para.\n\n\nSecond para.").model_copy(
        update={"start": 12, "end": len(article)})
    html = render.render_passage(cit, article)
    assert html == ('<p class="src-passage">Title line\n<mark>First para.\nSecond para.</mark>'
                    "</p>")


def test_passage_window_cuts_at_words_and_marks_the_cut() -> None:
    text = " ".join(f"word{i}" for i in range(200))
    start = text.index("word100")
    end = start + len("word100")
    before, span, after = render.passage_window(text, start, end, context=30)
    assert span == "word100"
    assert before.startswith("…word") and after.endswith("…")
    assert len(before) <= 32 and len(after) <= 32
    assert not after[:-1].endswith(("wor", "wo"))  # no half word before the ellipsis
    assert (before + span + after).replace("…", "") in text


def test_passage_window_at_the_article_edges_has_no_ellipsis() -> None:
    before, span, after = render.passage_window("Short article.", 0, 5)
    assert (before, span, after) == ("", "Short", " article.")


def test_card_escapes_article_text_source_and_title() -> None:
    evil = "Talks <lasted> two hours & ended \"warmly\"."
    cit = citation(text=evil, source="<b>x</b>.txt")
    card = render.render_source_card(cit, 1, ARTICLE)
    assert "<b>x</b>" not in card and "<lasted>" not in card
    assert "&lt;b&gt;x&lt;/b&gt;.txt" in card
    assert '<mark>Talks &lt;lasted&gt; two hours &amp; ended &quot;warmly&quot;.</mark>' in card
    titled = cit.model_copy(update={"title": "<script>alert(1)</script>", "site": "<i>S</i>",
                                    "url": 'https://x.test/"><script>'})
    card = render.render_source_card(titled, 1, ARTICLE)
    assert "<script>" not in card and "<i>" not in card
    assert "&lt;script&gt;alert(1)" in card and "&lt;i&gt;S&lt;/i&gt;" in card
    assert 'href="https://x.test/&quot;&gt;&lt;script&gt;"' in card


def test_card_has_the_id_its_marker_links_to_and_shows_the_score() -> None:
    card = render.render_source_card(citation(n=2), turn=3, article=ARTICLE)
    assert 'id="src-3-2"' in card
    assert "score 0.81" in card and "003.txt" in card and "[2]" in card


def test_card_shows_headline_outlet_and_date_and_the_file_name_only_without_a_title() -> None:
    cit = citation().model_copy(update={"title": "Orban in Beijing", "site": "Reuters",
                                        "published": "2024-07-05",
                                        "url": "https://example.com/orban"})
    card = render.render_source_card(cit, 1, ARTICLE)
    assert '<span class="src-name">Orban in Beijing</span>' in card and "003.txt" not in card
    assert ('<div class="src-meta"><a class="src-site" href="https://example.com/orban" '
            'target="_blank" rel="noopener noreferrer">Reuters</a> · <time class="src-date" '
            'datetime="2024-07-05">5 July 2024</time></div>') in card
    bare = render.render_source_card(citation(), 1, ARTICLE)
    assert '<span class="src-name">003.txt</span>' in bare and "src-meta" not in bare
    dated = citation().model_copy(update={"published": "2023-10-17", "url": "javascript:x"})
    card = render.render_source_card(dated, 1, ARTICLE)
    assert '<div class="src-meta"><time' in card and "javascript" not in card


def test_passage_falls_back_to_the_cited_text_when_the_article_changed_or_is_gone() -> None:
    cit = citation()
    for article in (None, "An entirely different article text that is long enough."):
        html = render.render_passage(cit, article)
        assert re.search(r"<mark>(.*?)</mark>", html).group(1) == SPAN


VALUE = re.compile(r'<mark class="answer-value" title="the short answer">(.*?)</mark>')


def with_value(cit: Citation, article: str, value: str) -> Citation:
    """`cit` with its short answer at the first `value` inside its span of `article`."""
    lo = article.index(value, cit.start)
    return cit.model_copy(update={"answer_start": lo, "answer_end": lo + len(value)})


def test_the_short_answer_is_marked_inside_the_cited_span() -> None:
    cit = with_value(citation(), ARTICLE, "Beijing")  # the span's Beijing, not the one before
    html = render.render_passage(cit, ARTICLE)
    assert VALUE.findall(html) == ["Beijing"]
    assert html == ('<p class="src-passage">Orban flew to Beijing on Monday. <mark>The two '
                    'leaders met in <mark class="answer-value" title="the short answer">Beijing'
                    "</mark> ahead of the Belt and Road Forum.</mark> Talks &lt;lasted&gt; two "
                    "hours &amp; ended &quot;warmly&quot;.</p>")


def test_the_short_answer_and_the_text_around_it_are_escaped() -> None:
    article = 'Intro <i>x</i>. Paid <b>"£5 & 6"</b> to <script>alert(1)</script> & co. Outro.'
    span = 'Paid <b>"£5 & 6"</b> to <script>alert(1)</script> & co.'
    start = article.index(span)
    cit = Citation(n=1, source="a.txt", doc_id="d", chunk_id="d:0", text=span, start=start,
                   end=start + len(span), score=0.5)
    cit = with_value(cit, article, '"£5 & 6"</b> to <script>')
    for shown in (article, None):  # in its context, and the passage alone
        html = render.render_passage(cit, shown)
        assert VALUE.findall(html) == ["&quot;£5 &amp; 6&quot;&lt;/b&gt; to &lt;script&gt;"]
        assert "Paid &lt;b&gt;<mark class" in html and "alert(1)&lt;/script&gt; &amp; co." in html
        assert not re.search(r"<(?!/?mark\b|/?p\b)", html)  # no other tag reached the page
        assert html.count("<mark") == html.count("</mark>") == 2
    assert "Intro &lt;i&gt;x&lt;/i&gt;." in render.render_passage(cit, article)


def test_the_short_answer_is_marked_when_only_the_cited_text_is_left() -> None:
    cit = with_value(citation(), ARTICLE, "Belt and Road Forum")
    html = render.render_passage(cit, None)
    assert html == ('<p class="src-passage"><mark>The two leaders met in Beijing ahead of the '
                    '<mark class="answer-value" title="the short answer">Belt and Road Forum'
                    "</mark>.</mark></p>")


def test_the_short_answer_may_be_the_whole_span_or_touch_its_ends() -> None:
    cit = citation()
    for lo, hi in ((cit.start, cit.end), (cit.start, cit.start + 3), (cit.end - 6, cit.end)):
        marked = cit.model_copy(update={"answer_start": lo, "answer_end": hi})
        assert VALUE.findall(render.render_passage(marked, ARTICLE)) == [ARTICLE[lo:hi]]


def test_no_short_answer_mark_without_offsets_or_with_offsets_outside_the_span() -> None:
    cit = citation()
    plain = render.render_passage(cit, ARTICLE)
    outside = [(None, None), (cit.start, None), (None, cit.end),  # null
               (ARTICLE.index("Beijing"), ARTICLE.index("Beijing") + 7),  # before the span
               (cit.end, cit.end + 6), (cit.start - 1, cit.start + 3),  # after, straddling
               (cit.end - 3, cit.end + 1), (cit.start + 4, cit.start + 4),  # straddling, empty
               (cit.start + 9, cit.start + 4), (-5, 3)]  # reversed, negative
    for lo, hi in outside:
        odd = cit.model_copy(update={"answer_start": lo, "answer_end": hi})
        for article in (ARTICLE, None):
            html = render.render_passage(odd, article)
            assert "answer-value" not in html and html.count("<mark>") == 1, (lo, hi)
        assert render.render_passage(odd, ARTICLE) == plain
        assert render.render_source_card(odd, 1, ARTICLE) == render.render_source_card(
            cit, 1, ARTICLE)


def test_a_citation_without_a_short_answer_renders_as_before() -> None:
    assert render.render_passage(citation(), ARTICLE) == (
        '<p class="src-passage">Orban flew to Beijing on Monday. <mark>The two leaders met in '
        "Beijing ahead of the Belt and Road Forum.</mark> Talks &lt;lasted&gt; two hours &amp; "
        "ended &quot;warmly&quot;.</p>")


def test_the_source_card_carries_the_short_answer_mark() -> None:
    cit = with_value(citation(n=2), ARTICLE, "Beijing")
    card = render.render_source_card(cit, 3, ARTICLE)
    assert VALUE.findall(card) == ["Beijing"] and 'id="src-3-2"' in card
    group = render.render_sources_group(answer("Beijing: they met there. [2]", [cit]), "Where?",
                                        3, lambda _: ARTICLE)
    assert VALUE.findall(group) == ["Beijing"]


def test_answer_links_each_marker_to_its_card() -> None:
    ans = answer("They met in Beijing. [1] It was before the forum. [2]",
                 [citation(1), citation(2, doc_id="d4", source="004.txt")])
    html = render.render_answer(ans, turn=2)
    links = re.findall(r'<a class="cite" href="#(src-\d+-\d+)"[^>]*>\[(\d)\]</a>', html)
    assert links == [("src-2-1", "1"), ("src-2-2", "2")]
    assert "2 sources · extractive · 1.2 s" in html


def test_grouped_markers_and_unknown_numbers() -> None:
    html = render.link_markers("Both say so. [1, 2] Not this one. [7]", 1, {1: "a", 2: "b"})
    assert html.count('class="cite"') == 2
    assert 'href="#src-1-1"' in html and 'href="#src-1-2"' in html
    assert "[7]" in html and "src-1-7" not in html  # no link to a card that does not exist


def test_answer_text_is_escaped_before_markers_are_linked() -> None:
    html = render.render_answer(answer("A <img src=x onerror=alert(1)> tag. [1]",
                                       [citation()]), 1)
    assert "<img" not in html and "&lt;img" in html


def test_refusal_is_plain_and_styled_apart() -> None:
    html = render.render_answer(answer(REFUSAL, [], refused=True), 1)
    assert 'class="refusal"' in html and REFUSAL in html
    assert 'class="cite"' not in html and "answer-meta" not in html


def test_sources_group_for_a_refusal_says_no_passage_answers() -> None:
    group = render.render_sources_group(answer(REFUSAL, [], refused=True), "Capital of <X>?",
                                        1, lambda _: ARTICLE)
    assert "No passage answers this question." in group and "Capital of &lt;X&gt;?" in group
    assert "src-card" not in group


def test_sources_group_reads_each_article_once() -> None:
    reads: list[str] = []

    def article_text(doc_id: str) -> str:
        reads.append(doc_id)
        return ARTICLE

    ans = answer("x [1] y [2]", [citation(1), citation(2, text="Orban flew to Beijing on Monday.")
                                 .model_copy(update={"title": "A title"})])
    group = render.render_sources_group(ans, "q", 1, article_text)
    assert reads == ["d3"]
    assert group.count('class="src-card"') == 2 and "A title" in group


def test_a_filter_that_matches_nothing_is_no_refusal_of_the_articles() -> None:
    said = "No article matches the filter: site 'Reuters', since 2025-01-01."
    html = render.render_answer(answer(said, [], refused=True), turn=1)
    assert "Not in the articles" not in html
    assert html == f'<div class="refusal scope-empty">{escape(said)}</div>'
    group = render.render_sources_group(answer(said, [], refused=True), "q", 1, lambda _: None)
    assert "No article matches the filter." in group and "No passage" not in group


def test_sources_panel_shows_the_newest_answer_first_or_an_empty_hint() -> None:
    assert render.render_sources_panel([]) == render.EMPTY_SOURCES
    panel = render.render_sources_panel(["<section>first</section>", "<section>second</section>"])
    assert panel.index("second") < panel.index("first")


def test_partial_and_error_messages_are_escaped() -> None:
    assert "&lt;b&gt;" in render.render_partial("<b>so far")
    err = render.render_error("LLM said <nope>")
    assert 'class="error-msg"' in err and "&lt;nope&gt;" in err


def test_document_rows_sorted_by_file_with_readable_time() -> None:
    docs = [DocumentInfo(doc_id=i, source=f"{i}.txt", title=f"T{i}", content_hash="h", chars=10,
                         chunks=2, ingested_at="2026-11-21T15:19:15+00:00") for i in ("b", "a")]
    assert render.document_rows(docs) == [["a.txt", "Ta", 2, 10, "2026-11-21 15:19:15 UTC"],
                                          ["b.txt", "Tb", 2, 10, "2026-11-21 15:19:15 UTC"]]


def test_ingest_report_lists_every_file_with_its_outcome_and_reason() -> None:
    html = render.render_ingest_report(["new.txt"], ["changed.md"], ["same.txt"], [],
                                       [("photo.jpg", "unsupported file type .jpg")])
    for name, outcome in (("new.txt", "added"), ("changed.md", "updated"),
                          ("same.txt", "unchanged"), ("photo.jpg", "skipped")):
        assert re.search(rf'class="ingest-{outcome}".*?{re.escape(name)}', html)
    assert "unsupported file type .jpg" in html
    assert "No files" in render.render_ingest_report([], [], [], [], [])


def llm_answer(text: str, unsupported: list[str]) -> Answer:
    return Answer(answer=text, refused=False, mode="llm", unsupported=unsupported,
                  citations=[citation(1), citation(2, doc_id="d4", source="004.txt")],
                  timings_ms=Timings(total=1234))


def test_unsupported_sentences_are_marked_and_counted_under_the_answer() -> None:
    bad = "Talks <lasted> three hours [2]."
    ans = llm_answer(f"They met in Beijing [1]. {bad} Orban & Putin smiled.",
                     [bad, "Orban & Putin smiled."])
    html = render.render_answer(ans, turn=1)
    marked = re.findall(r'<span class="unsupported" title="([^"]*)">(.*?)</span>', html)
    assert [title for title, _ in marked] == ["not supported by the cited passages"] * 2
    assert marked[0][1] == ('Talks &lt;lasted&gt; three hours '
                            '<a class="cite" href="#src-1-2" title="004.txt (score 0.81)">[2]</a>.')
    assert marked[1][1] == "Orban &amp; Putin smiled."
    assert html.index("They met in Beijing") < html.index('class="unsupported"')
    assert 'class="cite" href="#src-1-1"' in html.split('class="unsupported"')[0]
    note = re.search(r'<div class="support-note">(.*?)</div>', html).group(1)
    assert note.endswith("2 sentences are not supported by the cited passages.")
    assert html.index("support-note") < html.index("answer-meta")


def test_one_unsupported_sentence_is_counted_in_the_singular() -> None:
    html = render.render_answer(llm_answer("A claim [1]. Another one [2].",
                                           ["Another one [2]."]), 1)
    assert html.count('class="unsupported"') == 1
    assert "1 sentence is not supported by the cited passages." in html


def test_a_supported_answer_has_no_marks_and_no_note() -> None:
    html = render.render_answer(llm_answer("They met in Beijing [1].", []), 1)
    assert "unsupported" not in html and "support-note" not in html


def test_an_unsupported_sentence_not_found_in_the_text_marks_nothing() -> None:
    assert render.split_unsupported("A. B. A.", ["A.", "Z.", "A."]) == [
        ("A.", True), (" B. ", False), ("A.", True)]
    assert render.split_unsupported("A. B.", ["Z."]) == [("A. B.", False)]


def test_every_marker_form_links_to_its_cards() -> None:
    html = render.link_markers("Ranges [1-2], lists [1; 2], spaces [ 2 ].", 1, {1: "a", 2: "b"})
    assert re.findall(r'href="#src-1-(\d)"', html) == ["1", "2", "1", "2", "2"]


def test_a_refusal_shows_its_related_passages_as_reading_not_support() -> None:
    from rag.schemas import Passage
    from ui.render import render_answer

    related = [Passage(source="003.txt", doc_id="d", chunk_id="d:1", text="Orban met <Putin>.",
                       start=0, end=18, score=0.5)]
    answer = Answer(answer="The articles do not contain the answer to this question.",
                    refused=True, mode="extractive", citations=[], related=related)
    html_text = render_answer(answer, 1)
    assert "Not in the articles." in html_text
    assert "do not answer the question" in html_text and "003.txt" in html_text
    assert "&lt;Putin&gt;" in html_text and "card" not in html_text  # escaped; no source link
