"""Retrieval and the extractive answerer over the sample articles (real model, real Chroma)."""

from __future__ import annotations

import re

import pytest

from rag.answering.base import cited_numbers
from rag.answering.extractive import Quote, _compose, split_sentences
from rag.schemas import Answer, Passage, Turn
from rag.service import RagService

BEIJING_Q = "Where did Orban and Putin meet during the Belt and Road Forum?"
BEIJING_ARTICLE = "003_374a4539e936311e.txt"


def assert_citations_consistent(answer: Answer, service: RagService) -> None:
    markers = set(cited_numbers(answer.answer))
    assert markers == {c.n for c in answer.citations}, "every [n] has a citation and vice versa"
    for c in answer.citations:
        text = service.document_text(c.doc_id)
        assert text is not None and text[c.start:c.end] == c.text, "offsets point at the quote"


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


def test_beijing_question_is_answered_and_cited(corpus_service: RagService) -> None:
    answer = corpus_service.ask(BEIJING_Q)
    assert not answer.refused and answer.mode == "extractive"
    assert "Beijing" in answer.answer
    beijing = [c for c in answer.citations if "Beijing" in c.text]
    assert beijing and beijing[0].source == BEIJING_ARTICLE
    assert f"[{beijing[0].n}]" in answer.answer
    assert_citations_consistent(answer, corpus_service)
    assert answer.timings_ms.total >= answer.timings_ms.retrieve > 0


@pytest.mark.parametrize("question", [
    "What is the recipe for a classic French onion soup?",
    "Who won the 2022 FIFA World Cup final?",
])
def test_questions_the_articles_cannot_answer_are_refused(
        corpus_service: RagService, question: str) -> None:
    answer = corpus_service.ask(question)
    assert answer.refused and answer.citations == []
    assert "do not contain" in answer.answer


def test_top_k_limits_what_the_answer_can_cite(corpus_service: RagService) -> None:
    from rag.components.store import adjacent_chunk_ids
    from rag.service import LEXICAL_EXTRA

    answer = corpus_service.ask(BEIJING_Q, top_k=1)
    # The top k, BM25's best hit beyond them, and the sentences just past their ends.
    assert 1 <= len(answer.retrieved) <= 1 + LEXICAL_EXTRA
    assert answer.retrieved[0].chunk_id == corpus_service.search(BEIJING_Q, top_k=1)[0].chunk_id
    read = {p.chunk_id for p in answer.retrieved}
    allowed = read | {n for cid in read for n in adjacent_chunk_ids(cid)}
    assert answer.citations and {c.chunk_id for c in answer.citations} <= allowed


def test_streaming_yields_the_answer_text_then_the_answer(corpus_service: RagService) -> None:
    events = list(corpus_service.ask_stream(BEIJING_Q))
    *deltas, final = events
    assert isinstance(final, Answer) and deltas
    assert "".join(d.text for d in deltas) == final.answer


def test_follow_up_uses_the_history(corpus_service: RagService) -> None:
    history = [Turn(role="user", content="Why did Orban travel to Beijing to meet Putin?"),
               Turn(role="assistant", content="For the Belt and Road forum.")]
    answer = corpus_service.ask("Which Chinese policy was that forum about?", history=history)
    assert not answer.refused
    assert re.search(r"Belt and Road", answer.answer)
    assert any(c.source == BEIJING_ARTICLE for c in answer.citations)


def test_a_follow_up_is_read_near_the_answer_before(corpus_service: RagService) -> None:
    # "what did he say Hungary was doing" could be any of Orban's remarks; the answer before
    # quoted the half of a sentence that holds the other half.
    history = [Turn(role="user", content="Which nuclear project did Orbán mention when he "
                                         "met Putin in Beijing?"),
               Turn(role="assistant", content="He noted the planned expansion of Hungary's "
                                              "only nuclear power plant by Rosatom. [1]")]
    answer = corpus_service.ask("What did he say Hungary was doing in its bilateral contacts "
                                "with Russia?", history=history)
    assert "save what we can" in answer.answer, answer.answer


@pytest.mark.parametrize(("last", "answered"), [
    ("He noted the expansion [1] of the plant [2, 3].", "He noted the expansion of the plant."),
    ("The articles do not contain the answer to this question.", ""),  # tells no topic
])
def test_the_answer_a_follow_up_continues(last: str, answered: str) -> None:
    from rag.conversation import standalone

    history = [Turn(role="user", content="Which project did Orbán mention?"),
               Turn(role="assistant", content=last)]
    assert standalone("What else did he say?", history).answered == answered
    assert standalone("What is the capital of Australia?", history).answered == ""  # alone


def test_sentence_spans_respect_abbreviations_quotes_and_lines() -> None:
    from rag.text import sentence_spans

    text = 'Mr. Orban met Putin. He said "No." The U.S. side left! Days later?\nA headline'
    assert [text[a:b].strip() for a, b in sentence_spans(text)] == [
        "Mr. Orban met Putin.", 'He said "No."', "The U.S. side left!", "Days later?",
        "A headline"]
    from rag.text import content_words

    assert content_words("Orban met U.S. officials in the UK.") == ["Orban", "met", "US",
                                                                    "officials", "UK"]
    # A line going on in lower case is the same sentence, broken.
    broken = "A headline\nIt could end the\n“hot phase” of the war, he said.\nNext one."
    assert [broken[a:b] for a, b in sentence_spans(broken)] == [
        "A headline", "It could end the\n“hot phase” of the war, he said.", "Next one."]


def test_a_new_topic_after_a_conversation_is_not_treated_as_a_follow_up(
        corpus_service: RagService) -> None:
    history = [Turn(role="user", content="What did Orban say about his Moscow visit in July 2024?"),
               Turn(role="assistant", content="He called it a peace mission.")]
    answer = corpus_service.ask("What is the capital of Australia?", history=history)
    assert answer.refused and answer.citations == []


@pytest.mark.parametrize(("question", "follow_up"), [
    ("What is the capital of Australia?", False),
    ("Where did Orban and Putin meet during the Belt and Road Forum?", False),
    ("How did Orban's press chief describe that trip?", True),
    ("What did he say he raised there?", True),
    ("Why were those plans shelved?", True),
    ("And where?", True),
    ("What about the phone call?", True),
])
def test_follow_up_detection(question: str, follow_up: bool) -> None:
    from rag.conversation import refers_back

    assert refers_back(question) is follow_up


@pytest.mark.parametrize("question", [
    "How long did Orban's visit to Kyiv last?",  # a duration exists: of a phone call
    "What did Putin give Orban as a gift?",  # no gift in any article
    "Which hotel did Orban stay at in Moscow?",  # the visit is told, no hotel
    "On what exact date were the plans for a Budapest peace summit proposed?",  # "last month"
    "What is the name of the bank Kyiv listed as a sponsor of the war?",  # "a Hungarian bank"
    "Who is the foreign minister of Slovakia?",  # Slovakia is named, no minister of it
])
def test_a_near_miss_is_refused_with_related_reading(corpus_service: RagService,
                                                     question: str) -> None:
    answer = corpus_service.ask(question)
    assert answer.refused and answer.citations == [], answer.answer
    assert answer.related, "the closest passages come along, as reading"


def test_a_question_in_two_parts_answers_each_from_its_article(
        corpus_service: RagService) -> None:
    answer = corpus_service.ask("Where did Orban and Putin meet during the Belt and Road "
                                "Forum, and who joined them in the Kremlin?")
    assert not answer.refused
    assert "Beijing" in answer.answer and "Ushakov" in answer.answer
    sources = {c.source for c in answer.citations}
    assert BEIJING_ARTICLE in sources and sources & {"000_81b70a0ba4ae34a8.txt",
                                                     "001_0d759d72c1af06c9.txt"}
    assert_citations_consistent(answer, corpus_service)


def test_a_sentence_answering_two_parts_is_quoted_once() -> None:
    text = "Peskov spoke first. Ushakov joined the talks."
    passage = Passage(source="a.txt", doc_id="a", chunk_id="a:0", text=text, start=0,
                      end=len(text), score=1.0)
    peskov, ushakov = split_sentences(passage)
    draft = _compose([("Who spoke?", [Quote(0, 0.9)]),
                      ("Who joined?", [Quote(1, 0.8), Quote(0, 0.7)])], [peskov, ushakov])
    assert draft.answer == "Peskov spoke first. [1] Ushakov joined the talks. [2]"


def test_a_part_the_articles_do_not_answer_is_said_so(corpus_service: RagService) -> None:
    answer = corpus_service.ask("Where did Orban and Putin meet during the Belt and Road "
                                "Forum, and what gift did Putin give him?")
    assert not answer.refused and "Beijing" in answer.answer
    assert "do not contain the answer to “What gift did Putin give him?”" in answer.answer


def test_a_list_question_gathers_each_article(corpus_service: RagService) -> None:
    answer = corpus_service.ask("For which countries besides Hungary did Orban want to "
                                "secure Russian energy this winter?")
    assert "Slovakia" in answer.answer and "Serbia" in answer.answer
    assert {"000_81b70a0ba4ae34a8.txt", "001_0d759d72c1af06c9.txt"} <= {
        c.source for c in answer.citations}


def test_a_fact_two_articles_report_is_quoted_once_citing_both(
        corpus_service: RagService) -> None:
    answer = corpus_service.ask("Which Russian officials were present at the talks with Orban?")
    first, second = answer.citations[:2]
    assert f"[{first.n}][{second.n}]" in answer.answer, answer.answer
    assert {first.source, second.source} == {"000_81b70a0ba4ae34a8.txt",
                                              "001_0d759d72c1af06c9.txt"}
    assert "Ushakov" in first.text and "Ushakov" in second.text
    assert answer.answer.count("Ushakov") == 1, "quoted once"


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
    from rag.answering.parts import split_question

    assert split_question(question) == parts


@pytest.mark.parametrize(("question", "kind"), [
    ("Which hotel did Orban stay at?", "hotel"),
    ("In which two cities did they meet?", "cities"),  # past the number
    ("Which Russian state corporation is to expand the plant?", "corporation"),  # past names
    ("Which Hungarian minister went with him?", "minister"),  # not the verb after it
    ("Name the Putin aide who joined the talks.", "aide"),
    ("What interim solution did Kyiv float?", "solution"),
    ("Who is the prime minister of Slovakia?", "minister"),
    ("What did Orban propose?", None),
    ("What made that meeting a first?", None),  # a verb after "what": no kind named
    ("Apart from Orban, which two other leaders met Putin?", "leaders"),  # past "other"
    ("Which leaders other than Orban met Putin?", "leaders"),  # a kind, not a verb
    ("Which Austrian head of government went to Moscow?", "head"),
    ("What peace plan put forward by him has Orban backed?", "plan"),  # "put": a participle
    ("Which Russian state-owned atomic energy firm will expand it?", "firm"),  # past "-"
    ("On which social network did he announce the call?", "network"),
])
def test_the_kind_of_answer_asked_for(question: str, kind: str | None) -> None:
    from rag.answering.asked import answer_kinds

    assert list(answer_kinds(question).values()) == ([kind] if kind else [])


@pytest.mark.parametrize(("sentence", "kind", "names"), [
    ("Kremlin spokesperson Dmitry Peskov confirmed it.", "spokesperson", True),
    ("Dmitry Peskov, the Kremlin spokesperson, confirmed it.", "spokesperson", True),
    ("Orban joined them, and Yuri Ushakov was there too.", "aide", True),  # no kind word
    ("Putin aide Yuri Ushakov joined, Orban said to Karl Nehammer.", "aide", True),
    ("Yuri Ushakov joined the talks, said the Putin aide to reporters.", "aide", False),
    ("The Hungarian leader met Putin.", "leader", False),  # "The Hungarian" names no one
    ("Orban met Putin (Sputnik, Kremlin Pool Photo via AP).", "leader", False),  # a credit
    ("In a letter to Commission President Ursula von der Leyen, Orban asked for talks.",
     "figure", True),  # past the title, with the particles
    ("Putin will also hold talks with Mr Xi.", "", True),  # an honorific and a surname
    ("Putin will also hold talks with Mr Putin.", "", False),  # the one asked about
])
def test_a_person_kind_needs_a_new_name_by_its_word(sentence: str, kind: str,
                                                    names: bool) -> None:
    from rag.answering.grounding import new_person
    from rag.text import stem

    assert new_person(sentence, {"orban", "putin"}, stem(kind)) is names


@pytest.mark.parametrize(("question", "sentence", "missing"), [
    ("Which Austrian head of government went to Moscow?",
     "Austrian Chancellor Karl Nehammer visited Moscow in April 2022.", None),
    ("In which cities did they meet?", "The two leaders met in Beijing.", None),
    ("In which cities did they meet?", "The two leaders met, officials said.", "cities"),
    ("Which city did he propose?", "He proposed Budapest as a potential venue.", None),
    ("Which city did he propose?", "He proposed Budapest talks.", "city"),
    # "the name of" a kind the checks do not know: a name, and the kind's word by it
    ("What was the name of the Kremlin interpreter?",
     "Kremlin spokesperson Dmitry Peskov confirmed it.", "interpreter"),
    ("What was the name of the Kremlin interpreter?",
     "The Kremlin interpreter, Olga Petrova, translated.", None),
    ("On which social network did he announce the call?", "He posted on X after it.", None),
    ("On which social network did he announce the call?", "He announced it after the call.",
     "network"),
])
def test_the_kind_asked_for_is_in_the_sentence(corpus_service: RagService, question: str,
                                               sentence: str, missing: str | None) -> None:
    grounding = corpus_service.answerers["extractive"].grounding  # type: ignore[attr-defined]
    assert grounding.missing_kind(question, sentence, sentence) == missing


def test_an_adjective_of_a_people_need_not_stand_by_the_sentence(
        corpus_service: RagService) -> None:
    # "American" is written "US" in the article: an adjective describes, it does not name.
    grounding = corpus_service.answerers["extractive"].grounding  # type: ignore[attr-defined]
    assert grounding.unnamed("Which city did he propose for an American summit?",
                             "Putin thanked him for proposing a Russia-US summit.", "") == []
    # In the phrase naming the kind of answer it says what the answer must be.
    assert grounding.unnamed("Which American city did he propose for a summit?",
                             "Putin thanked him for proposing a Russia-US summit.", "") == [
        "American"]


def test_a_possessive_name_before_a_role_describes_and_need_not_stand_by(
        corpus_service: RagService) -> None:
    # "Budapest's leader" is Orban; the sentence need not say "Budapest".
    grounding = corpus_service.answerers["extractive"].grounding  # type: ignore[attr-defined]
    call = "The hour-long call was requested by Orban."
    assert grounding.unnamed("How long did the call between Budapest's leader and the "
                             "Kremlin chief last?", call, call) == []
    # Before any other word it names what is asked about: "Budapest's summit plans".
    assert grounding.unnamed("What came of Budapest's summit plans?", call, call) == [
        "Budapest's"]


def test_names_that_only_place_the_event_may_stand_anywhere_in_the_article(
        corpus_service: RagService) -> None:
    # "Budapest" is not near the sentence naming the aide, but elsewhere in its article: it
    # says which visit is meant. The Kyiv near-miss above: names of what is asked stay near.
    answer = corpus_service.ask("Name the Putin aide who joined the talks at Orban's Moscow "
                                "visit about a Budapest summit.")
    assert not answer.refused and "Ushakov" in answer.answer, answer.answer
    # "in Beijing", "in his Facebook post" at the end say where it was said, so too.
    grounding = corpus_service.answerers["extractive"].grounding  # type: ignore[attr-defined]
    said = "Hungary never wanted to confront Russia, Orban told Putin."
    for question, place in [("What did Orban say Hungary never wanted in Beijing?", "Beijing"),
                            ("What did he write in his Facebook post?", "Facebook")]:
        assert grounding.unnamed(question, said, f"They met in {place}. {said}") == []
        assert grounding.unnamed(question, said, said) == [place]
    # A place the question asks about is no scene: it must stand by the sentence.
    assert grounding.unnamed("How long did Orban's visit to Kyiv last?", said,
                             f"He went to Kyiv. {said}") == ["Kyiv"]


def test_a_list_reads_more_passages_than_one_answer(corpus_service: RagService) -> None:
    from rag.service import LEXICAL_EXTRA, LIST_EXTRA, PART_EXTRA

    k = corpus_service.settings.top_k
    # (each with, at most, BM25's best hits that the fusion left out)
    assert k <= len(corpus_service.retrieve_for("Where did Orban meet Putin?")) \
        <= k + LEXICAL_EXTRA
    assert k + LIST_EXTRA <= len(corpus_service.retrieve_for("Which leaders met Putin?")) \
        <= k + LIST_EXTRA + LEXICAL_EXTRA
    # Parts are searched apart; a part asking for a list reads more, as a list does.
    parts = corpus_service.retrieve_for("Where did Orban meet Putin, and when did they talk?")
    listing = corpus_service.retrieve_for("Where did Orban meet Putin, and which leaders met "
                                          "him?")
    assert k + PART_EXTRA <= len(parts) < len(listing)


def test_only_sentences_that_may_answer_are_embedded(corpus_service: RagService) -> None:
    from rag.answering.extractive import ExtractiveAnswerer
    from rag.components.vector_cache import VectorCache

    embedded: list[str] = []

    class Counting:  # the real model, recording what it is asked to embed
        name, tokenizer = corpus_service.embedder.name, None

        def embed_texts(self, texts: list[str]) -> list[list[float]]:
            embedded.extend(texts)
            return corpus_service.embedder.embed_texts(texts)

    question = "What share of Hungary's oil and gas comes from Russia?"
    passages = corpus_service.retrieve_for(question)
    answerer = ExtractiveAnswerer(Counting(), corpus_service.settings.min_answer_score,
                                  vectors=VectorCache(Counting(), 1000))
    draft = answerer.answer(question, passages, [])
    assert "80%" in draft.answer, draft.answer
    sentences = [t for t in embedded if t != question]
    assert sentences and all("%" in t or "per cent" in t for t in sentences), sentences
    embedded.clear()
    refused = answerer.answer("How many minutes did the talks last?", passages, [])
    assert refused.refused and embedded == [], "no sentence holds minutes: none is embedded"


@pytest.mark.parametrize(("question", "listing"), [
    ("Which leaders has Orban met?", True),
    ("In which two cities did they meet?", True),
    ("Which two other European leaders met Putin?", True),  # qualifiers before the noun
    ("Where has he met Putin?", True),
    ("Where did Orban and Putin meet in 2023?", False),
    ("Who is the Kremlin spokesperson?", False),
])
def test_a_question_asking_for_a_list(question: str, listing: bool) -> None:
    from rag.answering.parts import wants_list

    assert wants_list(question) is listing


def test_a_quote_opening_with_a_pronoun_brings_the_sentence_naming_who() -> None:
    text = "Borrell spoke on Friday. He added that Orban had no mandate from the Council."
    passage = Passage(source="a.txt", doc_id="a", chunk_id="a:0", text=text, start=100,
                      end=100 + len(text), score=1.0)
    borrell, added = split_sentences(passage)
    draft = _compose([("Who said Orban had no mandate?", [Quote(1, 0.9)])], [borrell, added])
    assert draft.answer == f"{text} [1]"
    (citation,) = draft.citations
    assert (citation.start, citation.end, citation.text) == (100, 100 + len(text), text)
    # Quoted already for another part: the pronoun's sentence is not repeated.
    draft = _compose([("Who spoke?", [Quote(0, 0.9)]), ("What did he add?", [Quote(1, 0.8)])],
                     [borrell, added])
    assert draft.answer == ("Borrell spoke on Friday. [1] He added that Orban had no mandate "
                            "from the Council. [2]")


@pytest.mark.parametrize(("sentence", "holds"), [
    ("At the beginning of the month, Hungary took over the presidency.", True),
    ("He met Trump in recent days.", True),
    ("Nehammer visited Moscow weeks after the invasion.", True),
    ("Hungary took over the presidency.", False),
])
def test_relative_times_answer_when(sentence: str, holds: bool) -> None:
    from rag.answering.answer_types import holds_answer_type

    assert holds_answer_type(sentence, "When did Hungary take over the presidency?") is holds


@pytest.mark.parametrize(("sentence", "question", "holds"), [
    # "since ..." dates the start of a period, not the event told
    ("He is the first to meet Putin since the war began in February 2022.",
     "When did Orban meet Putin in Beijing?", False),
    ("They met in Beijing on Tuesday, the first visit since February 2022.",
     "When did Orban meet Putin in Beijing?", True),
    ("Hungary has bought Russian gas since 2014.", "Since when has Hungary bought gas?", True),
    # a date is a day, not any number
    ("It ended nearly 20 months without contact.", "On what date did they meet?", False),
    ("They met in 2023.", "On what date did they meet?", False),
    ("They met on October 17.", "On what date did they meet?", True),
    # a month is no date, the more so the month the question names
    ("The elections are in April.", "On what exact date in April are the elections?", False),
    ("The elections are on April 12.", "On what exact date in April are the elections?",
     True),
    # "what year" wants a year: "days before" is a time, not one
    ("He met Putin days before the talks.", "In what year did he first meet Putin?", False),
    ("He first met Putin in 2009.", "In what year did he first meet Putin?", True),
    ("He met Putin last year.", "Which year did he meet Putin?", True),
    ("It is the first visit since the war began in 2022.", "In what year did he visit?", False),
    ("He may visit soon.", "Which month did he visit?", False),  # "may" is no month
    ("He visited in May.", "Which month did he visit?", True),
    # a time of day
    ("Orban's call to Putin came after the minister's comments.",
     "What time did the call start?", False),
    ("I had an hour-long phone conversation this morning.", "What time did the call start?",
     True),
    ("The talks began at 10:30 in the Kremlin.", "At what time did the talks begin?", True),
    # "Where did he post it?" asks for a medium, not a city.
    ("Orbán posted on X following the conversation.", "Where did Orbán announce the call?",
     True),
    ("In a post on his Facebook page, he called for a ceasefire.",
     "Where did he post his wish for a ceasefire?", True),
    ("The two leaders met in Beijing.", "Where did he post his wish for a ceasefire?", False),
    ("Their meeting focused on Hungary's energy.", "Where did he post it?", False),
    ("Vucic said on Tuesday that he met Putin.", "Where did Vucic announce it?", False),
])
def test_when_and_what_date_need_the_events_own_time(sentence: str, question: str,
                                                     holds: bool) -> None:
    from rag.answering.answer_types import holds_answer_type

    assert holds_answer_type(sentence, question) is holds


@pytest.mark.parametrize(("question", "verb"), [
    ("According to Borrell, what does the EU position exclude?", {"exclude": "exclude"}),
    ("Which topic did the Kremlin say they discussed?", {"discuss": "discussed"}),
    ("What did Orban propose to Zelensky during his trip?", {"propose": "propose"}),
    ("What did Putin thank Orban for?", {"thank": "thank"}),
    ("How did Zelensky respond to the proposal?", {"respond": "respond"}),
    ("What was served at dinner?", {"serv": "served"}),
    ("What condition was attached to it?", {}),  # a noun asked for: "contingent on ..."
    ("Which city did Orban later propose?", {"propose": "propose"}),  # past the adverb
    ("How did Orbán describe the war?", {}),  # says little: any wording describes
    ("Where did they meet?", {}),
    ("Which city did he put forward to host the heads of state?", {}),  # "of STATE": a noun
    ("Whom had he met before the call?", {"met": "met"}),
    ("What did Orban and Putin eat at the dinner?", {"eat": "eat"}),  # past both names
    ("Who won the elections in April?", {"won": "won"}),  # the subject asked
    ("Who organised the forum?", {"organis": "organised"}),
    ("Who went to Moscow?", {}),  # "go" says little
    ("Who went with him?", {"accompani": "accompanied"}),  # a phrasal verb
    ("Who sat in on the talks?", {"attend": "attended"}),
    # the verb after the kind asked for; not past an auxiliary (a passive)
    ("Besides Szijjarto, which other Hungarian ministers travelled with Orban?",
     {"accompani": "accompanied"}),
    ("Which EU leaders criticised the visit?", {"criticis": "criticised"}),
    ("What condition was attached to the exemption?", {}),
    ("What did Putin tell Orban before the talks on the US peace push?", {}),  # "tell", not
    ("What did Putin thank Orban for before the talks on the US peace push?",  # "push"
     {"thank": "thank"}),
])
def test_the_verb_a_question_asks_about(question: str, verb: dict[str, str]) -> None:
    from rag.answering.asked import asked_verb
    from rag.text import stem

    assert asked_verb(question) == {stem(w): w for w in verb.values()}  # keys: the stems


def test_a_sentence_restating_the_question_without_its_verb_does_not_answer(
        corpus_service: RagService) -> None:
    """"The EU position on ... is reflected in Council conclusions" restates the question;
    "That position excludes official contacts ..." answers it."""
    answer = corpus_service.ask("According to Josep Borrell, what does the EU position on "
                                "Russia's war against Ukraine exclude?")
    assert "official contacts" in answer.answer, answer.answer
    assert "reflected in many European Council conclusions" not in answer.answer


def test_besides_those_of_a_kind_another_of_it_named_elsewhere_in_the_article(
        corpus_service: RagService) -> None:
    # "other leaders who have come ... and will also hold talks with Mr Xi": the "leaders"
    # by the sentence are the set-aside ones, and the article calls him "Chinese President
    # Xi Jinping", so "Mr Xi" answers "which Chinese leader".
    answer = corpus_service.ask("Apart from the leaders who came for the Belt and Road Forum, "
                                "which Chinese leader would Putin hold talks with?")
    assert not answer.refused and "Xi" in answer.answer, answer.answer


def test_a_state_verb_is_not_told_by_its_object(corpus_service: RagService) -> None:
    # "the prime minister must ..." does not say who BECAME prime minister, or when.
    grounding = corpus_service.answerers["extractive"].grounding  # type: ignore[attr-defined]
    question = "In what year did Orban first become prime minister?"
    assert grounding.missing_verb(question, "The prime minister must end imports by 2027.") \
        == "become"
    assert corpus_service.ask(question).refused


def test_the_kind_of_person_asked_for_is_not_a_related_one(corpus_service: RagService) -> None:
    # "wife" and "partner" are 0.57 apart in MiniLM's word space: "Putin's closest partner"
    # near a name does not give the name of Orban's wife.
    answer = corpus_service.ask("What is the name of Viktor Orbán's wife?")
    assert answer.refused, answer.answer


def test_a_verb_is_told_by_its_object(corpus_service: RagService) -> None:
    # "in a letter to ..." tells that a letter was sent; a sentence without it does not.
    grounding = corpus_service.answerers["extractive"].grounding  # type: ignore[attr-defined]
    question = "To whom did Orban send a letter calling for peace talks?"
    assert grounding.missing_verb(question, "In a letter to Ursula von der Leyen, Orban "
                                            "called for peace talks.") is None
    assert grounding.missing_verb(question, "Orban called for peace talks.") == "send"


@pytest.mark.parametrize(("question", "sentence"), [
    ("Which leader did Orban visit at Mar-a-Lago?", "Orban met Donald Trump at Mar-a-Lago."),
    ("What plan has Orban backed?", "He has expressed support for the peace proposal."),
    ("What did Putin thank Orban for?", "Putin expressed gratitude for Orban's offer."),
])
def test_a_verb_is_told_in_other_news_words(corpus_service: RagService, question: str,
                                            sentence: str) -> None:
    # MiniLM's single-word vectors keep "visit" and "met" apart (0.41): a family of news
    # verbs joins them; an unrelated verb still does not answer.
    grounding = corpus_service.answerers["extractive"].grounding  # type: ignore[attr-defined]
    assert grounding.missing_verb(question, sentence) is None
    assert grounding.missing_verb(question, "Orban criticised the plan at Mar-a-Lago.")


@pytest.mark.parametrize(("question", "sentence", "missing"), [
    ("How long did their meeting in Moscow last?",
     "“I had an hour-long phone conversation with Putin,” Orban posted.", "meeting"),
    ("How long did their phone call last?",
     "“I had an hour-long phone conversation with Putin,” Orban posted.", None),
    ("How long did the meeting last?", "It ended 20 months in which leaders shunned him.",
     "meeting"),
    ("How long did the meeting last?", "Fidesz could lose for the first time in 15 years.",
     "meeting"),
    ("How long did the meeting last?", "He took office more than two years ago.", "meeting"),
    ("How long did the meeting last?", "The talks lasted two hours.", None),  # not tied
    ("How long does the rotating presidency last?", "Hungary took over the six-month "
     "rotating presidency of the EU Council.", None),
    ("How long did it last?", "The hour-long call ended.", None),  # no event named
    ("How long did Orban and Putin talk in Beijing?",  # the event is the verb
     "Their meeting ended 20 months in which leaders shunned him.", "talk"),
])
def test_a_duration_answers_how_long_only_of_what_it_measures(
        corpus_service: RagService, question: str, sentence: str, missing: str | None) -> None:
    grounding = corpus_service.answerers["extractive"].grounding  # type: ignore[attr-defined]
    assert grounding.unmeasured(question, sentence) == missing


def test_the_words_describing_the_kind_asked_for_may_be_told_by_the_answer(
        corpus_service: RagService) -> None:
    # "Rosatom" stands for "government-owned atomic company"; the rest of the question
    # ("enlarge", "sole", "site") is paraphrased ("expansion", "only", "plant").
    grounding = corpus_service.answerers["extractive"].grounding  # type: ignore[attr-defined]
    question = ("Which Russian government-owned atomic company is going to enlarge the sole "
                "reactor site in Hungary?")
    told = ("He noted the planned expansion of Hungary's only nuclear power plant by Russian "
            "state nuclear energy corporation Rosatom.")
    from rag.answering.extractive import MIN_COVERAGE

    assert grounding.coverage(question, told) >= 0.75  # all but "reactor"
    assert grounding.coverage(question, "Hungary relies on Russian gas.") < MIN_COVERAGE


def test_a_list_quotes_a_further_sentence_only_for_a_new_item(
        corpus_service: RagService) -> None:
    grounding = corpus_service.answerers["extractive"].grounding  # type: ignore[attr-defined]
    cities = "Which cities has Orban met Putin in?"
    assert grounding.answer_items(cities, "They met in Beijing in October.") == {"beij"}
    assert grounding.answer_items("Which officials joined Putin?",
                                  "Putin aide Yuri Ushakov joined them.") == {"yuri ushakov"}
    assert grounding.answer_items("What did they discuss?", "They discussed gas.") is None
    # Moscow is told in three articles: quoted once (citing both tellings of that meeting),
    # it leaves room for Beijing.
    answer = corpus_service.ask(cities)
    assert "Beijing" in answer.answer, answer.answer
    assert answer.answer.count("in Moscow") == 1, answer.answer


def test_who_asks_for_someone_the_question_does_not_name(corpus_service: RagService) -> None:
    grounding = corpus_service.answerers["extractive"].grounding
    question = "Who went with Orban to Moscow?"
    assert grounding.missing_kind(question, "Orban went to Moscow on Friday.", "") == "who"
    assert grounding.missing_kind(
        question, "Foreign minister Peter Szijjarto also joined the trip to Moscow.", "") is None
    assert grounding.missing_kind("Who is Peter Szijjarto?", "Orban went to Moscow.", "") is None


def test_a_fact_two_articles_report_is_quoted_in_its_fuller_telling(
        corpus_service: RagService) -> None:
    """000 and 001 both report Orban's letter; only 001 adds the frozen Russian assets.
    (Asked "besides further EU funding", 000's telling holds no answer: tests/rag/
    test_besides.py.)"""
    answer = corpus_service.ask("What did Orban oppose in his letter to Ursula von der Leyen?")
    assert "frozen Russian assets" in answer.answer, answer.answer
    assert {c.source for c in answer.citations} >= {"000_81b70a0ba4ae34a8.txt",
                                                    "001_0d759d72c1af06c9.txt"}


def test_a_telling_scoring_clearly_lower_is_not_quoted_for_being_longer(
        corpus_service: RagService) -> None:
    """000 says Ushakov was "present in discussions"; 001 that he was "representing Russia's
    negotiating team": asked whom he represented, 001's is the answer, though 000's holds
    more words beside the question."""
    answer = corpus_service.ask("Whom was Putin aide Yuri Ushakov representing when he joined "
                                "Orban and Putin in the Kremlin ahead of Russia's talks on "
                                "the US peace push?")
    assert "negotiating team" in answer.answer, answer.answer


@pytest.mark.parametrize(("question", "thing"), [
    ("At the Beijing meeting, what was the main focus of their talks?", {"focu": "focus"}),
    ("What is the name of the Hungarian bank?", {}),  # the name-of check's business
    ("What was the purpose of his visit?", {}),  # open: any clause may give it
    ("What is the population of Hungary?", {}),  # abstract
])
def test_the_thing_a_what_is_the_x_of_question_asks_for(question: str,
                                                        thing: dict[str, str]) -> None:
    from rag.answering.asked import thing_asked

    assert thing_asked(question) == thing


def test_the_sentences_past_a_retrieved_chunks_end_are_read(corpus_service: RagService) -> None:
    """The Facebook post is told at the end of one chunk and quoted at the start of the next:
    with only the first retrieved, the answer still quotes the post, from the next chunk."""
    (first,) = [p for p in corpus_service.search("post on his Facebook page ceasefire", 5)
                if "Facebook page, Mr Orban" in p.text]
    draft = corpus_service.answerers["extractive"].answer(
        "In his Facebook post, what did Orban say Hungarians most want to end?", [first], [])
    quoted = [c for c in draft.citations if "flood of refugees" in c.text]
    assert quoted and quoted[0].chunk_id != first.chunk_id
    text = corpus_service.document_text(quoted[0].doc_id)
    assert text is not None and text[quoted[0].start:quoted[0].end] == quoted[0].text


def test_a_verb_of_saying_may_stand_in_the_quotes_attribution(
        corpus_service: RagService) -> None:
    """'“..., ” Mr Orban wrote. “For us Hungarians, ...”': what he wrote goes on past the
    sentence naming the verb."""
    grounding = corpus_service.answerers["extractive"].grounding
    assert grounding is not None
    question = "What did he write Hungarians most want?"
    quote = "“For us Hungarians, too, the most important thing is that the fighting should end.”"
    window = f"“In Europe today, one question is on everyone’s mind,” Mr Orban wrote. {quote}"
    assert grounding.missing_verb(question, quote) == "write"
    assert grounding.missing_verb(question, quote, window) is None
    plain = "For Hungarians the most important thing is that the fighting should end."
    assert grounding.missing_verb(question, plain, f"Mr Orban wrote. {plain}") == "write"
