"""The extractive reader, from the question's one reading to the cited answer.

- read_question (question.py): each Part's question word, expected entity labels, kind,
  focus, names, values, list, speech and what it sets aside; parts; follow-ups.
- The gates and the short answer (features.py) on spaCy-parsed sentences built here.
- ExtractiveAnswerer.answer on a Question and hand-made passages (no index, no retrieval).
- Composition of the answer (markers, citations, the short answer's offsets), streaming.
- A few questions over the sample articles, end to end (the key fact, not the wording).

Nothing here asserts a score: the weights are refitted (eval/fit_reader.py), and what a
test holds is which sentences may answer, what the short answer is, and where it is cited.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from rag.answering.base import REFUSAL, AnswerDraft, TextDelta, cited_numbers
from rag.answering.candidates import Candidate, gather, sentences
from rag.answering.extractive import RELATED, ExtractiveAnswerer, Quote, _compose
from rag.answering.features import (
    FEATURES,
    Annotated,
    answer_entity,
    eligible,
    feature_rows,
    words_of,
)
from rag.answering.lexicon import PEOPLE
from rag.answering.parts import split_question
from rag.answering.question import Part, Question, read_question, refers_back
from rag.components.embedding import build_embedding_model
from rag.components.language import LanguagePipeline
from rag.components.store import chunk_id
from rag.schemas import Answer, Passage, Turn
from rag.service import RagService
from tests.conftest import make_settings

BEIJING_Q = "Where did Orban and Putin meet during the Belt and Road Forum?"
BEIJING_ARTICLE = "003_374a4539e936311e.txt"
KREMLIN_ARTICLES = {"000_81b70a0ba4ae34a8.txt", "001_0d759d72c1af06c9.txt"}

# Hand-made articles: one fact each, told the way news tells it.
YUKOS = ("Russian oil giant Yukos faces bankruptcy. Yukos paid $3.4bn in back taxes last year, "
         "the company said. Its shares fell sharply on Monday.")
STADIUM = ("Ipswich Town wants a new stadium. The plans for the new stadium were disclosed by "
           "the East Anglian Daily Times on Friday.")
CROZIER = "Adam Crozier replaced the chief executive of Royal Mail last year."
UNDATED = "Adam Crozier replaced the chief executive of Royal Mail."  # no date: no "when"
NO_SUCCESSOR = ("The chief executive of Royal Mail left the company in May. Staff were told "
                "on Monday.")


@pytest.fixture(scope="module")
def language() -> LanguagePipeline:
    return LanguagePipeline()


@pytest.fixture(scope="module")
def reader(language: LanguagePipeline, tmp_path_factory: pytest.TempPathFactory
           ) -> ExtractiveAnswerer:
    """The answerer as the service builds it, without a store: it reads the passages given."""
    settings = make_settings(tmp_path_factory.mktemp("reader"))
    return ExtractiveAnswerer(build_embedding_model(settings), language)


def passage(text: str, doc: str = "a", start: int = 0, index: int = 0) -> Passage:
    return Passage(source=f"{doc}.txt", doc_id=doc, chunk_id=chunk_id(doc, "v" * 12, index),
                   text=text, start=start, end=start + len(text), score=1.0)


def read(language: LanguagePipeline, text: str, history: list[Turn] | None = None,
         **switches: bool) -> Question:
    return read_question(text, history or [], language, **switches)


def only_part(language: LanguagePipeline, text: str) -> Part:
    (part,) = read(language, text).parts
    return part


def gates(language: LanguagePipeline, question: str, *articles: str) -> dict[str, bool]:
    """Each sentence of the articles (one passage each) -> may it answer the question?"""
    asked = read(language, question)
    items, retrieved = [], {}
    for rank, p in enumerate(passage(text, doc=f"d{i}") for i, text in enumerate(articles)):
        doc = language.parse_one(p.text)
        retrieved[p.doc_id] = words_of(doc)
        items += [Annotated(c, doc.char_span(*c.local, alignment_mode="expand"),
                            doc.char_span(*c.window, alignment_mode="expand"))
                  for c in sentences(p, rank)]
    (part,) = asked.parts
    rows = feature_rows(part, asked, items, np.zeros(len(items)), retrieved, {})
    assert rows.shape == (len(items), len(FEATURES))
    return {a.candidate.text: bool(ok) for a, ok in zip(items, eligible(part, rows), strict=True)}


def short_answer(language: LanguagePipeline, question: str, sentence: str) -> tuple[str, str]:
    """The entity answer_entity picks in the sentence (text, label), or ("", "")."""
    part = only_part(language, question)
    entity = answer_entity(part, language.parse_one(sentence)[:], frozenset())
    return (entity.text, entity.label_) if entity is not None else ("", "")


# -- the question, read once -------------------------------------------------------------


@pytest.mark.parametrize(("question", "want"), [
    ("Which newspaper disclosed the plans for the new stadium?",
     {"wh": "which", "kind": "newspaper", "has": {"ORG"}, "lacks": {"PERSON", "DATE"},
      "focus": {"disclose"}, "verb": "disclose", "names": set(), "values": set(),
      "wants_list": False, "says": False}),
    ("How much did Yukos pay in back taxes?",
     {"wh": "how much", "has": {"MONEY"}, "lacks": {"PERSON", "ORG", "DATE"},
      "focus": {"pay"}, "verb": "pay", "names": {"yukos"}, "values": set(),
      "wants_list": False}),
    ("When did Orban and Putin meet in Beijing?",
     {"wh": "when", "has": {"DATE"}, "lacks": {"PERSON", "GPE", "MONEY"},
      "focus": {"meet"}, "verb": "meet", "names": {"orban", "putin", "beijing"}}),
    ("What is the name of the plant Rosatom is to expand?",  # "the name of": a name
     {"wh": "what", "kind": "plant", "has": {"ORG", "FAC"}, "lacks": {"DATE", "MONEY"},
      "focus": {"plant"}, "verb": "expand", "names": {"rosatom"}}),
    ("How much did Alitalia lose in 2004?",  # a date it names: a value to find again
     {"wh": "how much", "has": {"MONEY"}, "names": {"alitalia"}, "values": {"2004"}}),
    ("Who is the Kremlin spokesperson?",
     {"wh": "who", "has": {"PERSON"}, "lacks": {"DATE"}, "focus": {"spokesperson"},
      "names": {"kremlin"}, "wants_list": False}),
    ("Which leaders has Orban met?",  # a plural kind: every article's answer
     {"wh": "which", "kind": "leader", "has": {"PERSON"}, "wants_list": True}),
    ("What did Orban say about the war in 2004?",  # open: his words, no kind of entity
     {"wh": "what", "open": True, "says": True, "names": {"orban"}, "values": {"2004"}}),
    ("Which countries besides Hungary need Russian energy?",
     {"wh": "which", "kind": "country", "has": {"GPE"}, "lacks": {"PERSON"},
      "aside": {"hungary"}, "wants_list": True}),
    ("Besides gas and oil, what does Hungary import from Russia?",
     {"wh": "what", "aside": {"gas", "oil"}, "verb": "import"}),
])
def test_a_question_is_read_into_the_part_it_asks(language: LanguagePipeline, question: str,
                                                  want: dict[str, object]) -> None:
    part = only_part(language, question)
    assert part.text == question
    for name in ("wh", "kind", "verb", "wants_list", "says", "open"):
        if name in want:
            assert getattr(part, name) == want[name], (name, part)
    assert want.get("has", set()) <= part.expected, part.expected
    assert not want.get("lacks", set()) & part.expected, part.expected
    assert want.get("focus", set()) <= part.focus, part.focus
    for name in ("names", "values", "aside"):
        if name in want:
            assert getattr(part, name) == want[name], (name, part)
    # What is set aside is not what is asked about.
    assert not part.aside & part.lemmas


def test_the_question_words_are_not_its_content(language: LanguagePipeline) -> None:
    part = only_part(language, "Which newspaper disclosed the plans for the new stadium?")
    assert not {"which", "newspaper"} & part.lemmas  # what is asked for is no word to find
    assert {"disclose", "plan", "stadium"} <= part.lemmas


def test_a_question_in_two_parts_is_read_part_by_part(language: LanguagePipeline) -> None:
    text = ("Where did Orban and Putin meet during the Belt and Road Forum, and who joined "
            "them in the Kremlin?")
    where, who = read(language, text).parts
    assert where.text == BEIJING_Q and who.text == "Who joined them in the Kremlin?"
    assert (where.wh, who.wh) == ("where", "who")
    assert "GPE" in where.expected and "PERSON" not in where.expected
    assert "PERSON" in who.expected and "GPE" not in who.expected
    assert who.verb == "join" and who.names == {"kremlin"}
    # Without the parts switch (the ablation's), the question is one part.
    (whole,) = read(language, text, parts=False).parts
    assert whole.text == text and whole.wh == "where"


HISTORY = [Turn(role="user", content="Where did Orban and Putin meet in 2023?"),
           Turn(role="assistant", content="Beijing: They met in Beijing. [1]")]


def test_a_follow_up_is_read_with_the_question_it_continues(language: LanguagePipeline
                                                            ) -> None:
    asked = read(language, "Who else did he meet there?", HISTORY)
    assert asked.is_follow_up
    assert asked.context == HISTORY[0].content
    assert asked.answered == "Beijing: They met in Beijing."  # without its markers
    assert {"orban", "putin", "meet"} <= asked.lemmas  # the topic it continues
    assert asked.search_text == f"{HISTORY[0].content}\nWho else did he meet there?"
    assert asked.history == tuple(HISTORY)
    (part,) = asked.parts
    assert part.wh == "who" and "PERSON" in part.expected and part.verb == "meet"
    assert not part.names, "the pronoun names no one: the context does"
    # The follow-ups switch off: read on its own.
    alone = read(language, "Who else did he meet there?", HISTORY, follow_ups=False)
    assert not alone.is_follow_up and alone.search_text == "Who else did he meet there?"


@pytest.mark.parametrize(("last", "answered"), [
    ("He noted the expansion [1] of the plant [2, 3].", "He noted the expansion of the plant."),
    (REFUSAL, ""),  # a refusal tells no topic
])
def test_the_answer_a_follow_up_continues(language: LanguagePipeline, last: str,
                                          answered: str) -> None:
    history = [Turn(role="user", content="Which project did Orbán mention?"),
               Turn(role="assistant", content=last)]
    assert read(language, "What else did he say?", history).answered == answered
    alone = read(language, "What is the capital of Australia?", history)
    assert (alone.context, alone.answered, alone.lemmas) == ("", "", frozenset())


@pytest.mark.parametrize(("question", "follow_up"), [
    ("What is the capital of Australia?", False),
    (BEIJING_Q, False),
    ("How did Orban's press chief describe that trip?", True),  # "that"
    ("What did he say he raised there?", True),  # "he", "there"
    ("Why were those plans shelved?", True),
    ("And where?", True),
    ("What about the phone call?", True),  # too little to search on its own
    ("Why?", True),
])
def test_follow_up_detection(language: LanguagePipeline, question: str,
                             follow_up: bool) -> None:
    assert refers_back(language.parse_one(question)) is follow_up


# -- the gates and the short answer, on sentences parsed here ----------------------------


def test_a_date_the_question_names_must_be_in_the_article(language: LanguagePipeline) -> None:
    """Not "lost 330m euros in 2003" for "how much did Alitalia lose in 2004"; a sum in an
    article that says 2004 (in another sentence) may answer."""
    ok = gates(language, "How much did Alitalia lose in 2004?",
               "Alitalia lost 330m euros in 2003, the airline said. Its chairman resigned.",
               "The airline had a difficult 2004. Alitalia lost 520m euros, the company said.")
    assert ok["Alitalia lost 330m euros in 2003, the airline said."] is False
    assert ok["Alitalia lost 520m euros, the company said."] is True
    # A sentence with no sum at all does not answer "how much", wherever it stands.
    assert ok["The airline had a difficult 2004."] is False


def test_a_who_question_needs_a_person_or_organisation_it_does_not_name(
        language: LanguagePipeline) -> None:
    ok = gates(language, "Who replaced the chief executive of Royal Mail?",
               NO_SUCCESSOR, CROZIER)
    # Royal Mail is named by the question; May and Monday are no one.
    assert ok["The chief executive of Royal Mail left the company in May."] is False
    assert ok["Staff were told on Monday."] is False
    assert ok[CROZIER] is True


def test_an_article_about_someone_else_does_not_answer(language: LanguagePipeline) -> None:
    """Hungary's foreign minister is named, but the question is about Slovakia's."""
    sentence = "Hungary's foreign minister, Peter Szijjarto, travelled to Moscow with Mr Orban."
    assert gates(language, "Who is the foreign minister of Slovakia?", sentence) == {
        sentence: False}
    assert gates(language, "Who is the foreign minister of Hungary?", sentence) == {
        sentence: True}


def test_what_a_question_sets_aside_is_no_answer(language: LanguagePipeline) -> None:
    question = "Which countries besides Hungary need Russian energy?"
    ok = gates(language, question, "Hungary needs Russian energy, its government says.",
               "Hungary is not alone. Slovakia and Serbia need Russian energy too, officials "
               "said.")
    assert ok == {"Hungary needs Russian energy, its government says.": False,
                  "Hungary is not alone.": False,
                  "Slovakia and Serbia need Russian energy too, officials said.": True}
    found, label = short_answer(language, question,
                                "Slovakia and Serbia need Russian energy too, officials said.")
    assert found in ("Slovakia", "Serbia") and label == "GPE"


@pytest.mark.parametrize(("question", "sentence", "found"), [
    ("Which newspaper disclosed the plans for the new stadium?",
     "The plans for the new stadium were disclosed by the East Anglian Daily Times on Friday.",
     "East Anglian Daily Times"),
    ("How much did Yukos pay in back taxes?",
     "Yukos paid $3.4bn in back taxes last year, the company said.", "3.4bn"),
    ("Who replaced the chief executive of Royal Mail?", CROZIER, "Adam Crozier"),
    ("When did Nehammer visit Moscow?",
     "Austrian Chancellor Karl Nehammer visited Moscow in April 2022, weeks after the "
     "invasion.", "April 2022"),
    ("Which Austrian chancellor visited Moscow?",  # not Moscow: the question names it
     "Austrian Chancellor Karl Nehammer visited Moscow in April 2022.", "Karl Nehammer"),
    # Of several of the kind, the one closest in the parse to the question's words.
    ("Which Putin aide joined the talks?",
     "Kremlin spokesperson Dmitry Peskov said Putin aide Yuri Ushakov joined the talks.",
     "Yuri Ushakov"),
    ("When did Nehammer visit Moscow?",
     "On Friday, officials said Karl Nehammer visited Moscow in April 2022.", "April 2022"),
    ("How much did Yukos pay in back taxes?",
     "Yukos, which employs 100,000 people, paid $3.4bn in back taxes.", "3.4bn"),
])
def test_the_short_answer_is_the_new_entity_of_the_kind_asked(
        language: LanguagePipeline, question: str, sentence: str, found: str) -> None:
    text, label = short_answer(language, question, sentence)
    assert found in text, (text, label)
    assert label in only_part(language, question).expected


@pytest.mark.parametrize(("question", "sentence"), [
    ("Who replaced the chief executive of Royal Mail?",
     "The chief executive of Royal Mail left the company in May."),  # no one new
    ("How much did Yukos pay in back taxes?", "Russian oil giant Yukos faces bankruptcy."),
    ("When did Nehammer visit Moscow?", "Karl Nehammer visited Moscow."),  # no time
])
def test_no_short_answer_where_the_sentence_holds_none(language: LanguagePipeline,
                                                       question: str, sentence: str) -> None:
    assert short_answer(language, question, sentence) == ("", "")


# -- the answerer, on a Question and hand-made passages -----------------------------------


@pytest.mark.parametrize(("question", "article", "found"), [
    ("How much did Yukos pay in back taxes?", YUKOS, "3.4bn"),
    ("Which newspaper disclosed the plans for the new stadium?", STADIUM,
     "East Anglian Daily Times"),
    ("Who replaced the chief executive of Royal Mail?", f"{NO_SUCCESSOR} {CROZIER}",
     "Adam Crozier"),
])
def test_the_answer_starts_with_the_short_answer_marked_in_its_citation(
        reader: ExtractiveAnswerer, language: LanguagePipeline, question: str, article: str,
        found: str) -> None:
    other = passage("Shares in European airlines rose on Monday as oil prices fell.", doc="b")
    told = passage(f"A headline\n{article}", doc="a", start=500)  # offsets in the article
    draft = reader.answer(read(language, question), [told, other])
    assert not draft.refused and draft.citations, draft.answer
    first = draft.citations[0]
    assert (first.doc_id, first.n) == ("a", 1) and "[1]" in draft.answer
    assert first.start >= told.start and first.end <= told.end
    assert told.text[first.start - told.start:first.end - told.start] == first.text
    assert first.answer_start is not None and first.answer_end is not None
    assert first.start <= first.answer_start < first.answer_end <= first.end
    value = told.text[first.answer_start - told.start:first.answer_end - told.start]
    assert found in value
    assert draft.answer.startswith(f"{value}: {first.text}"), draft.answer
    assert set(cited_numbers(draft.answer)) == {c.n for c in draft.citations}


def test_no_sentence_that_may_answer_is_a_refusal_with_related_reading(
        reader: ExtractiveAnswerer, language: LanguagePipeline) -> None:
    passages = [passage(NO_SUCCESSOR, doc="a"),
                passage("Royal Mail delivered 80 million letters a day in 2004.", doc="b"),
                passage("The chief executive of Royal Mail praised the staff.", doc="c"),
                passage("Postal workers went on strike in the north of England.", doc="d")]
    draft = reader.answer(read(language, "Who replaced the chief executive of Royal Mail?"),
                          passages)
    assert draft.refused and draft.answer == REFUSAL
    assert draft.citations == []
    assert draft.related == passages[:RELATED], "the closest passages, as reading only"


def test_a_question_built_by_hand_is_answered_part_by_part(reader: ExtractiveAnswerer) -> None:
    """Parts made without spaCy: one the passages answer, one they do not (no date)."""
    who = Part(text="Who replaced the chief executive of Royal Mail?", wh="who",
               expected=PEOPLE | {"ORG"}, lemmas=frozenset({"replace", "chief", "executive",
                                                            "royal", "mail"}),
               focus=frozenset({"replace", "executive"}), names=frozenset({"royal", "mail"}),
               verb="replace")
    when = Part(text="When did Royal Mail go bankrupt?", wh="when",
                expected=frozenset({"DATE", "TIME"}), lemmas=frozenset({"royal", "mail",
                                                                         "bankrupt"}),
                focus=frozenset({"bankrupt"}), names=frozenset({"royal", "mail"}))
    asked = Question(text=f"{who.text} {when.text}", parts=(who, when))
    draft = reader.answer(asked, [passage(UNDATED)])
    assert not draft.refused
    assert draft.answer == (f"Adam Crozier: {UNDATED} [1] The articles do not contain the "
                            f"answer to “{when.text}”")
    (citation,) = draft.citations
    assert citation.text == UNDATED and (citation.answer_start, citation.answer_end) == (0, 12)


def test_the_stream_is_the_answer_in_pieces_then_the_draft(
        reader: ExtractiveAnswerer, language: LanguagePipeline) -> None:
    asked = read(language, "Which newspaper disclosed the plans for the new stadium, and how "
                           "much did Yukos pay in back taxes?")
    assert len(asked.parts) == 2
    *deltas, draft = list(reader.stream(asked, [passage(STADIUM), passage(YUKOS, "b")]))
    assert isinstance(draft, AnswerDraft) and not draft.refused
    texts = [d.text for d in deltas if isinstance(d, TextDelta)]
    assert len(texts) == len(deltas) >= 2, "a piece per quoted sentence"
    assert "".join(texts) == draft.answer
    assert "East Anglian Daily Times" in draft.answer and "3.4bn" in draft.answer
    assert {c.doc_id for c in draft.citations} == {"a", "b"}, "each part cites its article"


def test_candidates_are_the_passages_sentences_each_once() -> None:
    """Overlapping chunks repeat sentences: each article span is a candidate once, ranked
    as the best passage it was read in."""
    first = passage("Orban went to Beijing. He met Putin there on Tuesday.", index=0)
    overlap = passage("He met Putin there on Tuesday. Their talks lasted three hours.",
                      start=first.start + 23, index=1)
    read_ = gather([first, overlap])
    assert [c.text for c in read_] == ["Orban went to Beijing.",
                                       "He met Putin there on Tuesday.",
                                       "Their talks lasted three hours."]
    assert [c.rank for c in read_] == [0, 0, 1]


# -- composing the answer --------------------------------------------------------------


def _candidates(text: str, start: int = 0, doc: str = "a") -> list[Candidate]:
    return sentences(passage(text, doc=doc, start=start), 0)


def test_a_sentence_answering_two_parts_is_quoted_once() -> None:
    peskov, ushakov = _candidates("Peskov spoke first. Ushakov joined the talks.")
    draft = _compose([(Part("Who spoke?"), [Quote(0, 0.9)]),
                      (Part("Who joined?"), [Quote(1, 0.8), Quote(0, 0.7)])], [peskov, ushakov])
    assert draft.answer == "Peskov spoke first. [1] Ushakov joined the talks. [2]"
    assert [c.n for c in draft.citations] == [1, 2]


def test_a_quote_opening_with_a_pronoun_brings_the_sentence_naming_who() -> None:
    text = "Borrell spoke on Friday. He added that Orban had no mandate from the Council."
    borrell, added = _candidates(text, start=100)
    draft = _compose([(Part("Who said Orban had no mandate?"), [Quote(1, 0.9)])],
                     [borrell, added])
    assert draft.answer == f"{text} [1]"
    (citation,) = draft.citations
    assert (citation.start, citation.end, citation.text) == (100, 100 + len(text), text)
    # Quoted already for another part: the pronoun's sentence is not repeated.
    draft = _compose([(Part("Who spoke?"), [Quote(0, 0.9)]),
                      (Part("What did he add?"), [Quote(1, 0.8)])], [borrell, added])
    assert draft.answer == ("Borrell spoke on Friday. [1] He added that Orban had no mandate "
                            "from the Council. [2]")


def test_the_short_answer_leads_and_a_second_telling_is_cited_beside_it() -> None:
    one = _candidates("Putin aide Yuri Ushakov joined the talks.", start=40, doc="a")[0]
    two = _candidates("Yuri Ushakov was present in discussions.", start=7, doc="b")[0]
    value = (40 + len("Putin aide "), 40 + len("Putin aide Yuri Ushakov"))
    draft = _compose([(Part("Which aide joined the talks?"),
                       [Quote(0, 0.9, value=value, also=[1])])], [one, two])
    assert draft.answer == "Yuri Ushakov: Putin aide Yuri Ushakov joined the talks. [1][2]"
    first, second = draft.citations
    assert (first.answer_start, first.answer_end) == value
    assert (second.doc_id, second.answer_start, second.answer_end) == ("b", None, None)


def test_a_part_not_answered_is_said_so_beside_the_others() -> None:
    (told,) = _candidates("Orban met Putin in Beijing.")
    draft = _compose([(Part("Where did they meet?"), [Quote(0, 0.9)]),
                      (Part("What gift did Putin give him?"), [])], [told])
    assert not draft.refused
    assert draft.answer == ("Orban met Putin in Beijing. [1] The articles do not contain the "
                            "answer to “What gift did Putin give him?”")


def test_sentence_spans_respect_abbreviations_quotes_and_lines() -> None:
    from rag.text import content_words, sentence_spans

    text = 'Mr. Orban met Putin. He said "No." The U.S. side left! Days later?\nA headline'
    assert [text[a:b].strip() for a, b in sentence_spans(text)] == [
        "Mr. Orban met Putin.", 'He said "No."', "The U.S. side left!", "Days later?",
        "A headline"]
    assert content_words("Orban met U.S. officials in the UK.") == ["Orban", "met", "US",
                                                                    "officials", "UK"]
    # A line going on in lower case is the same sentence, broken.
    broken = "A headline\nIt could end the\n“hot phase” of the war, he said.\nNext one."
    assert [broken[a:b] for a, b in sentence_spans(broken)] == [
        "A headline", "It could end the\n“hot phase” of the war, he said.", "Next one."]


def test_a_candidate_is_a_sentence_of_enough_words() -> None:
    text = "Photo: AP\nOrban met Putin in Beijing. Talks went on."
    cands = _candidates(text, start=10)
    assert [c.text for c in cands] == ["Orban met Putin in Beijing.", "Talks went on."]
    for c in cands:
        lo, hi = c.local
        assert text[lo:hi] == c.text and (c.start, c.end) == (10 + lo, 10 + hi)


@pytest.mark.parametrize(("question", "parts"), [
    ("Who did Orban meet, and what did they discuss?",
     ["Who did Orban meet?", "What did they discuss?"]),
    ("When did Nehammer visit Moscow, and in what month did Orban go there?",  # preposition
     ["When did Nehammer visit Moscow?", "In what month did Orban go there?"]),
    ("When and where did they meet?",  # the parts share the predicate
     ["When did they meet?", "Where did they meet?"]),
    ("In which places and by what means has Orban been in contact with Putin?",
     ["In which places has Orban been in contact with Putin?",
      "By what means has Orban been in contact with Putin?"]),
    ("Name the Kremlin spokesperson quoted, and the Putin aide who joined the talks.",
     ["Name the Kremlin spokesperson quoted?", "Name the Putin aide who joined the talks."]),
    ("What did Orban and Putin discuss in Beijing?",  # "and" joins names: one question
     ["What did Orban and Putin discuss in Beijing?"]),
    ("How long had the war lasted at the Beijing meeting, compared with his Moscow visit?",
     ["How long had the war lasted at the Beijing meeting?",
      "How long had the war lasted at his Moscow visit?"]),
    ("How long did the talks last during Orban's visit, compared with during the call?",
     ["How long did the talks last during Orban's visit?",
      "How long did the talks last during the call?"]),
    ("How does Hungary's stance compare with Austria's?",  # each thing compared, asked of
     ["What was Hungary's stance?", "What was Austria's stance?"]),
    ("How did the length of the call compare with the period of no contact?",
     ["What was the length of the call?", "What was the period of no contact?"]),
    ("What is the difference between the Moscow visit and the Beijing meeting?",
     ["What was the Moscow visit?", "What was the Beijing meeting?"]),
    ("What was the purpose of his July 2024 trip and of his latest visit?",  # "of" again
     ["What was the purpose of his July 2024 trip?", "What was the purpose of his latest visit?"]),
    ("What did Orban say in Beijing and in Moscow?",
     ["What did Orban say in Beijing?", "What did Orban say in Moscow?"]),
])
def test_a_question_is_split_into_the_questions_it_asks(question: str,
                                                         parts: list[str]) -> None:
    assert split_question(question) == parts


# -- end to end over the sample articles -------------------------------------------------


def assert_citations_consistent(answer: Answer, service: RagService) -> None:
    markers = set(cited_numbers(answer.answer))
    assert markers == {c.n for c in answer.citations}, "every [n] has a citation and vice versa"
    for c in answer.citations:
        text = service.document_text(c.doc_id)
        assert text is not None and text[c.start:c.end] == c.text, "offsets point at the quote"
        if c.answer_start is not None:
            assert c.start <= c.answer_start < c.answer_end <= c.end  # type: ignore[operator]


@pytest.mark.parametrize("k", [1, 3, 8])
def test_search_returns_k_scored_passages_with_exact_offsets(
        corpus_service: RagService, k: int) -> None:
    hits = corpus_service.search("Belt and Road Forum in Beijing", top_k=k)
    assert len(hits) == k
    assert hits[0].source == BEIJING_ARTICLE
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for h in hits:
        assert h.chunk_id.startswith(h.doc_id)
        assert corpus_service.document_text(h.doc_id)[h.start:h.end] == h.text


def test_beijing_question_is_answered_with_beijing_marked(corpus_service: RagService) -> None:
    answer = corpus_service.ask(BEIJING_Q)
    assert not answer.refused and answer.mode == "extractive"
    assert answer.answer.startswith("Beijing"), answer.answer
    first = answer.citations[0]
    assert first.source == BEIJING_ARTICLE and f"[{first.n}]" in answer.answer
    text = corpus_service.document_text(first.doc_id)
    assert text is not None and first.answer_start is not None
    assert text[first.answer_start:first.answer_end] == "Beijing"
    assert_citations_consistent(answer, corpus_service)
    assert answer.timings_ms.total >= answer.timings_ms.retrieve > 0


@pytest.mark.parametrize(("question", "fact", "source"), [
    ("Who is the Kremlin spokesperson?", "Peskov", "002_0a33fedb6c86f413.txt"),
    ("Which Austrian chancellor visited Moscow?", "Nehammer", "002_0a33fedb6c86f413.txt"),
    ("By what year must Hungary end Russian energy imports?", "2027", None),
    ("What share of Hungary's oil and gas comes from Russia?", "80%", None),
])
def test_a_fact_the_articles_tell_is_answered_from_them(
        corpus_service: RagService, question: str, fact: str, source: str | None) -> None:
    answer = corpus_service.ask(question)
    assert not answer.refused, answer.answer
    first = answer.citations[0]
    text = corpus_service.document_text(first.doc_id)
    assert text is not None and first.answer_start is not None, answer.answer
    assert fact in text[first.answer_start:first.answer_end], answer.answer
    assert answer.answer.startswith(text[first.answer_start:first.answer_end])
    assert source is None or first.source == source
    assert_citations_consistent(answer, corpus_service)


@pytest.mark.parametrize(("question", "history"), [
    ("Who won the 2022 FIFA World Cup final?", []),
    # A new topic after a conversation is no follow-up: nothing to borrow from it.
    ("What is the capital of Australia?",
     [Turn(role="user", content="What did Orban say about his Moscow visit in July 2024?"),
      Turn(role="assistant", content="He called it a peace mission.")]),
])
def test_a_question_the_articles_cannot_answer_is_refused(
        corpus_service: RagService, question: str, history: list[Turn]) -> None:
    answer = corpus_service.ask(question, history=history)
    assert answer.refused and answer.citations == [] and answer.answer == REFUSAL
    assert answer.related, "the closest passages come along, as reading"


def test_a_question_in_two_parts_answers_each_from_its_article(
        corpus_service: RagService) -> None:
    answer = corpus_service.ask("Where did Orban and Putin meet during the Belt and Road "
                                "Forum, and who joined them in the Kremlin?")
    assert not answer.refused
    assert "Beijing" in answer.answer and "Ushakov" in answer.answer
    sources = {c.source for c in answer.citations}
    assert BEIJING_ARTICLE in sources and sources & KREMLIN_ARTICLES
    assert_citations_consistent(answer, corpus_service)


def test_a_follow_up_is_answered_from_the_topic_it_continues(corpus_service: RagService
                                                             ) -> None:
    history = [Turn(role="user", content="Why did Orban travel to Beijing to meet Putin?"),
               Turn(role="assistant", content="For the Belt and Road forum.")]
    answer = corpus_service.ask("Which Chinese policy was that forum about?", history=history)
    assert not answer.refused
    assert "Belt and Road Initiative" in answer.answer, answer.answer
    assert answer.citations[0].source == BEIJING_ARTICLE


def test_streaming_yields_the_answer_text_then_the_answer(corpus_service: RagService) -> None:
    *deltas, final = list(corpus_service.ask_stream(BEIJING_Q))
    assert isinstance(final, Answer) and deltas
    assert "".join(d.text for d in deltas) == final.answer  # type: ignore[union-attr]


def test_top_k_limits_what_the_answer_can_cite(corpus_service: RagService) -> None:
    from rag.service import LEXICAL_EXTRA

    answer = corpus_service.ask(BEIJING_Q, top_k=1)
    # The top k and BM25's best hit beyond them.
    assert 1 <= len(answer.retrieved) <= 1 + LEXICAL_EXTRA
    assert answer.retrieved[0].chunk_id == corpus_service.search(BEIJING_Q, top_k=1)[0].chunk_id
    read_ = {p.chunk_id for p in answer.retrieved}
    assert answer.citations and {c.chunk_id for c in answer.citations} <= read_


def test_a_list_and_each_part_read_more_passages(corpus_service: RagService) -> None:
    from rag.service import LEXICAL_EXTRA, LIST_EXTRA, PART_EXTRA

    def retrieved(question: str) -> int:
        return len(corpus_service.retrieve_for(corpus_service.read(question)))

    k = corpus_service.settings.top_k
    # (each with, at most, BM25's best hits that the fusion left out)
    assert k <= retrieved("Where did Orban meet Putin?") <= k + LEXICAL_EXTRA
    assert k + LIST_EXTRA <= retrieved("Which leaders met Putin?") \
        <= k + LIST_EXTRA + LEXICAL_EXTRA
    # Parts are searched apart; a part asking for a list reads more, as a list does.
    parts = retrieved("Where did Orban meet Putin, and when did they talk?")
    listing = retrieved("Where did Orban meet Putin, and which leaders met him?")
    assert k + PART_EXTRA <= parts < listing


def test_the_service_reads_the_question_once_for_retrieval_and_answer(
        corpus_service: RagService, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Question the service reads is the one retrieval searches and the answerer gets."""
    seen: list[Question] = []
    answerer = corpus_service.answerers["extractive"]
    real = answerer.stream

    def recording(question: Question, passages: list[Passage]) -> Iterator[object]:
        seen.append(question)
        return real(question, passages)

    history = [Turn(role="user", content="Why did Orban travel to Beijing to meet Putin?"),
               Turn(role="assistant", content="For the Belt and Road forum.")]
    monkeypatch.setattr(answerer, "stream", recording)
    corpus_service.ask("Which Chinese policy was that forum about?", history=history)
    (asked,) = seen
    assert asked == corpus_service.read("Which Chinese policy was that forum about?", history)
    assert asked.is_follow_up and asked.context == history[0].content


def test_weights_fitted_for_other_features_are_refused(tmp_path: Path) -> None:
    """reader_weights.json is fitted for FEATURES; a file fitted for others is refused, with
    what to do, rather than read with its weights against the wrong features."""
    import json

    from rag.answering.features import WEIGHTS_FILE, Weights

    data = json.loads(WEIGHTS_FILE.read_text())
    assert tuple(data["features"]) == FEATURES
    Weights.load()
    data["features"] = list(FEATURES[:-1])
    stale = tmp_path / "weights.json"
    stale.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="fit_reader"):
        Weights.load(stale)
