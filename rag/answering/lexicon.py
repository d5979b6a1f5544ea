"""What spaCy does not know and the reader must: which kinds of entity a question asks for.

spaCy tags "Yukos" ORG and "£2bn" MONEY; it cannot tell that "which firm" wants an ORG or
"how much" a sum. Everything else the reader knows of language (lemmas, parts of speech,
the parse, the entities) comes from spaCy's annotations (rag/components/language.py).
"""

from __future__ import annotations

PEOPLE = frozenset({"PERSON"})
GROUPS = frozenset({"ORG", "NORP"})
PLACES = frozenset({"GPE", "LOC", "FAC"})
TIMES = frozenset({"DATE", "TIME"})
AMOUNTS = frozenset({"MONEY", "QUANTITY", "PERCENT", "CARDINAL"})
# Labels of proper names (not demonyms: "which leader" is not "Russian"); NAME is a run of
# proper nouns spaCy's NER left untagged.
NAMES = PEOPLE | PLACES | frozenset(
    {"ORG", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE", "NAME"})

# The question word (with the word after it for "how") -> the entity labels of an answer.
WH_TYPES: dict[str, frozenset[str]] = {
    "who": PEOPLE | {"ORG"}, "whom": PEOPLE | {"ORG"}, "whose": PEOPLE | {"ORG"},
    "where": PLACES | {"ORG"},
    "when": TIMES,
    "how many": AMOUNTS, "how much": AMOUNTS,
    "how long": TIMES | {"QUANTITY"}, "how old": TIMES | {"CARDINAL"},
    "how far": frozenset({"QUANTITY"}), "how big": AMOUNTS, "how large": AMOUNTS,
}

# "Which company", "what year": the noun asked for -> the entity labels of an answer. A noun
# not listed ("which striker") asks for a name after "which", and is matched by where it
# stands: beside an entity in a sentence (features.py, kind_near).
_KINDS = {
    "ORG NAME": "company firm group bank club team side party band organisation organization "
                "agency network channel newspaper paper magazine publication broadcaster "
                "label studio airline carrier maker manufacturer retailer chain union "
                "regulator watchdog court university school charity publisher operator "
                "provider insurer business body",
    "GPE LOC": "country nation city town state region capital place area county",
    "FAC GPE": "venue stadium ground",
    "DATE": "year month day date decade season",
    "DATE TIME": "time hour",  # "how much time": spaCy tags "20 months" DATE
    "MONEY": "price cost sum amount fine fee salary profit loss revenue sales value budget "
             "bid offer payout compensation damages debt turnover earnings income",
    "PERCENT": "percentage proportion share rate",
    "CARDINAL QUANTITY MONEY PERCENT": "number figure total score",
    "WORK_OF_ART": "film movie album book song single show series programme novel play title",
    "PRODUCT ORG": "product phone handset console device gadget software game computer car",
    "EVENT WORK_OF_ART": "event award prize tournament championship competition festival",
    "LAW": "law legislation",
    "LANGUAGE": "language",
    "NORP": "nationality religion",
}
KIND_TYPES: dict[str, frozenset[str]] = {
    noun: frozenset(labels.split()) for labels, nouns in _KINDS.items() for noun in nouns.split()}

# What follows a figure as part of it: "520m", "$3.4bn", "20 million euros".
UNITS = frozenset("m bn k million billion trillion thousand euros euro dollars pounds yen "
                  "per cent percent".split())

# Verbs that report speech: "what did X say/warn/argue ..." asks for X's words.
SAYING = frozenset("say tell add state announce claim argue insist warn describe call note "
                   "report explain suggest write comment reply admit deny confirm believe "
                   "predict acknowledge urge promise stress".split())

# What a question may call the articles themselves: "do the articles REPORT Orban meeting
# Putin" asks about the meeting, not the reporting.
THE_ARTICLES = frozenset("article story report text piece coverage".split())

# Words asking for the latest state of things: answered from the newest article, "as of"
# its date.
RECENT = frozenset("latest now recent recently current currently still newest".split())

# Words asking for events in order: answered as a timeline, one line per article.
TIMELINE = frozenset("timeline chronology".split())

# Adverbs that point back into the conversation ("what happened there", "and then?").
REFERRING_ADVERBS = frozenset({"there", "then"})

# Words that set part of the question aside: "besides gas and oil, what ...".
ASIDE = frozenset({"besides", "apart", "except", "excluding", "other than"})
