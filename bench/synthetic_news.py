"""A deterministic synthetic news archive for the scale benchmark (bench/scale.py).

Article i depends only on (seed, i): a corpus of 1,000 chunks is the first articles of the
one of 10,000. Each article has a headline (its first line), a dateline, and paragraphs of
news prose about one topic in one place, quoting two to four people from two organisations,
with dates, counts, sums and percentages: names are made up and combine into thousands of
people, so BM25 and dense search both have real work. Articles aim at 4-8 chunks at the
default chunk size (180 tokens, overlap 30); the article count for a wanted chunk count comes
from chunks per article measured on a sample with the ingest chunker.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

GENERATOR_VERSION = 2  # bump when the text changes: cached corpora are regenerated
CHARS_PER_CHUNK = 620  # about one chunk's stride (150 tokens) of this prose: 4-8 chunks

FIRST = ["Amara", "Bastian", "Celia", "Dorian", "Elif", "Farrukh", "Greta", "Hamid", "Ines",
         "Jonas", "Kalani", "Leontine", "Mateo", "Nadia", "Oskar", "Priya", "Quentin",
         "Rosalind", "Soren", "Tamsin", "Ulrich", "Valeria", "Wendell", "Ximena", "Yusuf",
         "Zofia", "Anouk", "Bram", "Chidi", "Dagny", "Emeka", "Freya", "Gideon", "Halina", "Ivo",
         "Jurgita", "Kenji", "Lucia", "Marek", "Noor"]
LAST = ["Abernathy", "Brennecke", "Castellanos", "Drozdova", "Eriksdottir", "Fairweather",
        "Grabowski", "Halloran", "Ilunga", "Jankovic", "Kessler", "Lindqvist", "Mbatha",
        "Novakova", "Orrinde", "Pellegrini", "Quillfeather", "Ruokonen", "Szemere", "Takahara",
        "Underhill", "Valtonen", "Whitcombe", "Yarrow", "Zubiri", "Achterberg", "Bellweather",
        "Cardoso", "Dunmore", "Esterhal", "Foxhall", "Gurevich", "Hakimi", "Ivanisevic",
        "Jelinek", "Kowalczyk", "Larrabee", "Moravec", "Nakagawa", "Okonjo", "Petrakis",
        "Ravensworth", "Sandoval", "Thorvaldsen", "Umarov", "Vinterberg", "Wojcik",
        "Xanthopoulos", "Yildirim", "Zamfir", "Havrilak", "Tavaszi", "Ostrander", "Vasquell"]
PLACES = ["Arvelholm", "Brackenford", "Castelmarra", "Dunmere", "Eastwick Harbour",
          "Falkenrode", "Glenharrow", "Halvik", "Istrelle", "Jadeport", "Kestrava", "Lornbury",
          "Marovica", "Northgate", "Ostrava Vale", "Pellham Cross", "Quarrington", "Rivensk",
          "Saltmere", "Tervola", "Ulvenhaven", "Varosca", "Westerley", "Yarrowdale", "Zelmont",
          "Ambleside Reach", "Borrowdale Sands", "Corvinia", "Drayhaven", "Elmstead"]
ORGS = ["the Meridian Water Authority", "Halvorsen Shipping", "the Northfield Grain Cooperative",
        "Brightline Rail", "the National Statistics Office", "Corvid Analytics",
        "the Central Bank", "Tidewater Energy", "the Federation of Small Traders",
        "Aster Pharmaceuticals", "the Coastal Fisheries Board", "Ironbridge Construction",
        "the Transport Workers' Union", "Lumen Telecom", "the Red Kite Foundation",
        "Solvay Mutual Insurance", "the Ministry of Regional Affairs", "Greyfell Mining",
        "the Civic Audit Office", "Harbourline Logistics", "the Institute for Fiscal Studies",
        "Pinewood Hospitals Trust", "the Electoral Commission", "Kestrel Air"]
ROLES = ["the mayor of {place}", "a spokesperson for {org}", "the chief executive of {org}",
         "an economist at {org}", "the regional governor", "a shopkeeper in {place}",
         "a union representative", "the police commissioner", "a senior analyst at {org}",
         "the health minister", "a professor at the University of {place}",
         "the opposition leader", "a resident of {place}", "the head of {org}",
         "the finance minister", "a councillor in {place}"]
QUOTES = ["This is about fairness, not politics",
          "We need a plan that lasts longer than one winter",
          "Nobody asked the people who live here", "The numbers simply do not add up",
          "We warned about this two years ago", "It is a good start, but it is only a start",
          "Families cannot wait for another review", "We will not accept a deal at any price",
          "The money is there; the will is not", "Everyone in this town knows someone affected"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
CURRENCIES = ["euros", "dollars", "crowns"]
# topic, the things it involves, the unit its counts come in
TOPICS: list[tuple[str, list[str], str]] = [
    ("port expansion", ["the container berths", "the dredging work", "the new terminal"],
     "containers"),
    ("rail strike", ["the train drivers", "overtime pay", "the wage offer"], "services"),
    ("wheat harvest", ["grain prices", "export quotas", "the storage silos"], "tonnes"),
    ("vaccine rollout", ["the booster doses", "cold storage", "appointment backlogs"], "doses"),
    ("election recount", ["the ballot boxes", "turnout figures", "the polling stations"],
     "ballots"),
    ("housing shortage", ["building permits", "rents", "construction costs"], "homes"),
    ("wildfire season", ["the evacuation orders", "the fire crews", "air quality"], "hectares"),
    ("data breach", ["customer records", "the security audit", "stolen passwords"], "accounts"),
    ("transit fare rise", ["the bus routes", "monthly passes", "transport subsidies"],
     "passengers"),
    ("fishing quota dispute", ["the trawler fleet", "cod stocks", "harbour fees"], "tonnes"),
    ("bridge repairs", ["the steel cables", "traffic diversions", "the inspection reports"],
     "vehicles"),
    ("hospital waiting lists", ["the emergency wards", "operating theatres", "nurse rotas"],
     "patients"),
    ("factory closure", ["the assembly lines", "severance pay", "local suppliers"], "jobs"),
    ("river flooding", ["the flood barriers", "insurance claims", "the river gauges"], "homes"),
    ("school funding", ["teacher salaries", "class sizes", "free school meals"], "pupils"),
    ("solar farm project", ["the grid connection", "land leases", "battery storage"],
     "megawatts"),
    ("tax reform", ["the income brackets", "the sales tax", "the budget deficit"], "taxpayers"),
    ("airport noise complaints", ["night flights", "the runway extension", "noise monitors"],
     "flights"),
    ("stadium plan", ["season tickets", "the club's owners", "public funding"], "seats"),
    ("film festival", ["the premieres", "ticket sales", "the opening gala"], "visitors"),
    ("drought relief", ["the water tankers", "crop losses", "emergency grants"], "farms"),
    ("ransomware attack", ["the email systems", "the ransom demand", "backup servers"],
     "computers"),
    ("mining licence", ["the copper deposits", "environmental permits", "royalty payments"],
     "tonnes"),
    ("minimum wage increase", ["hourly pay", "retail workers", "employers' groups"], "workers"),
]
HEADLINES = ["{Place} braces for {topic} as {org} warns over {thing}",
             "{last} rejects {org} plan on {thing}", "{Topic} in {place}: {count} {unit} affected",
             "{Org} to spend {amount} on {thing} in {place}",
             "{Topic}: {place} council split over {thing}",
             "{last} says {thing} will decide the {topic}"]
SENTENCES = [
    "{Person} said the {topic} would cost {org} about {amount} over {n} years.",
    "According to {org}, {count} {unit} were affected in {place} {date}.",
    '"{quote}," said {person}, {role}.',
    "{Org} announced {date} that it would delay {thing} until {month} {year}.",
    "Officials in {place} estimated that {thing} had risen by {percent} percent since {month}.",
    "Critics, including {person}, argued that {thing} had been neglected for years.",
    "{Person} told reporters in {place} that talks with {org} had stalled over {thing}.",
    "A report by {org} found that {percent} percent of {unit} were linked to {thing}.",
    "In {place}, {count} people attended a public meeting about the {topic} {date}.",
    "Shares in {org} fell {percent} percent after the announcement.",
    "The council in {place} voted {n} to {m} to approve {thing}.",
    "Residents of {place} have complained about {thing} since {year}.",
    "The last comparable {topic} in {place} came in {year}, when {count} {unit} were recorded.",
    "{Person}, who has led {org} since {year}, declined to comment on {thing}.",
    "Under the proposal, {thing} would be reviewed every {n} months.",
    "Analysts at {org} said {thing} could add {amount} to costs by {month} {year}.",
    "{Person} met {person2} in {place} {date} to discuss {thing}.",
    "The figures, published {date}, showed {count} {unit} in the first quarter.",
    '"{quote}," {person2} wrote in a statement.',
    "{Org} has set aside {amount} for {thing}, {role2} said.",
    "Opposition members accused {org} of hiding the true cost of {thing}.",
    "Independent experts expect the {topic} to last until at least {month} {year}.",
    "By {weekday} evening, {count} {unit} had been counted in {place}.",
    "{Person} called on {org} to publish its plans for {thing} before {month}.",
]


@dataclass(frozen=True)
class ArticleSpec:
    """What one article is about; queries draw on these too."""

    index: int
    topic: str
    things: tuple[str, ...]
    unit: str
    place: str
    places: tuple[str, ...]
    people: tuple[tuple[str, str], ...]  # (name, role)
    orgs: tuple[str, ...]
    day: int
    month: str
    year: int
    target_chunks: int


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def article_spec(seed: int, index: int) -> ArticleSpec:
    rng = random.Random(f"{seed}:{index}")
    topic, things, unit = rng.choice(TOPICS)
    places = tuple(rng.sample(PLACES, 3))
    orgs = tuple(rng.sample(ORGS, 2))
    people = tuple((_person(rng), rng.choice(ROLES).format(place=rng.choice(places),
                                                           org=rng.choice(orgs)))
                   for _ in range(rng.randint(2, 4)))
    return ArticleSpec(index=index, topic=topic, things=tuple(things), unit=unit,
                       place=places[0], places=places, people=people, orgs=orgs,
                       day=rng.randint(1, 28), month=rng.choice(MONTHS),
                       year=rng.randint(2018, 2025), target_chunks=rng.randint(4, 8))


def _slots(spec: ArticleSpec, rng: random.Random) -> dict[str, str]:
    (name, role), (name2, role2) = rng.sample(spec.people, 2)
    org = rng.choice(spec.orgs)
    month = rng.choice(MONTHS)
    date = rng.choice([f"on {rng.choice(WEEKDAYS)}", f"on {month} {rng.randint(1, 28)}",
                       f"in {month} {spec.year}", f"last {rng.choice(WEEKDAYS)}"])
    slots = {
        "person": name, "role": role, "person2": name2, "role2": role2, "org": org,
        "place": rng.choice(spec.places), "topic": spec.topic, "thing": rng.choice(spec.things),
        "unit": spec.unit, "month": month, "year": str(rng.randint(spec.year - 6, spec.year + 2)),
        "weekday": rng.choice(WEEKDAYS), "date": date, "quote": rng.choice(QUOTES),
        "n": str(rng.randint(2, 12)), "m": str(rng.randint(1, 9)),
        "count": f"{rng.randint(12, 95_000):,}", "percent": f"{rng.uniform(0.5, 40):.1f}",
        "amount": f"{rng.randint(2, 900)} million {rng.choice(CURRENCIES)}",
        "last": name.split()[-1],
    }
    slots.update({k[0].upper() + k[1:]: v[0].upper() + v[1:] for k, v in list(slots.items())})
    return slots


def sentence(spec: ArticleSpec, rng: random.Random, templates: list[str]) -> str:
    return rng.choice(templates).format(**_slots(spec, rng))


def article_text(spec: ArticleSpec, seed: int) -> str:
    """Headline, blank line, dateline paragraph, then paragraphs of 2-5 sentences."""
    rng = random.Random(f"{seed}:{spec.index}:text")
    lead = sentence(spec, rng, SENTENCES)
    paragraphs = [f"{spec.place.upper()}, {spec.month} {spec.day}, {spec.year} - {lead}"]
    size = len(paragraphs[0])
    while size < spec.target_chunks * CHARS_PER_CHUNK:
        para = " ".join(sentence(spec, rng, SENTENCES) for _ in range(rng.randint(2, 5)))
        paragraphs.append(para)
        size += len(para) + 2
    return sentence(spec, rng, HEADLINES) + "\n\n" + "\n\n".join(paragraphs) + "\n"


def file_name(spec: ArticleSpec) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", f"{spec.place} {spec.topic}".lower()).strip("-")
    return f"{spec.index:06d}_{slug}.txt"


def articles(seed: int, count: int, start: int = 0) -> Iterator[tuple[str, str]]:
    """(file name, text) of articles start .. start+count-1."""
    for index in range(start, start + count):
        spec = article_spec(seed, index)
        yield file_name(spec), article_text(spec, seed)


def articles_for(chunks: int, seed: int, chunks_of: Callable[[str, str], int],
                 sample: int = 400) -> tuple[int, float]:
    """(articles, chunks per article measured on the first `sample`) so the corpus lands near
    `chunks`: exactly when the sample reaches it, else the rest sized from the sample's mean."""
    counts: list[int] = []
    for name, text in articles(seed, sample):
        counts.append(chunks_of(name, text))
        if sum(counts) >= chunks:
            over = sum(counts) - chunks > chunks - sum(counts[:-1])  # the nearer total
            return max(1, len(counts) - over), sum(counts) / len(counts)
    per_article = sum(counts) / len(counts)
    return len(counts) + round((chunks - sum(counts)) / per_article), per_article


def write_corpus(folder: Path, seed: int, count: int) -> int:
    """Write the articles as .txt files; returns their total bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, text in articles(seed, count):
        total += (folder / name).write_text(text, encoding="utf-8")
    return total


# --- queries: drawn from the articles' own names, places and topics ---------------------------


def bare(phrase: str) -> str:
    return phrase.removeprefix("the ")


def search_queries(seed: int, n_articles: int, count: int) -> list[str]:
    rng = random.Random(f"{seed}:search")
    forms: list[Callable[[ArticleSpec, random.Random], str]] = [
        lambda s, r: f"{r.choice(s.people)[0].split()[-1]} {s.topic}",
        lambda s, r: f"{bare(r.choice(s.orgs))} {bare(r.choice(s.things))} {s.place}",
        lambda s, r: f"What did {r.choice(s.people)[0]} say about the {s.topic}?",
        lambda s, r: f"{s.topic} in {s.place}",
        lambda s, r: f"{bare(r.choice(s.things))} {s.unit} {r.choice(s.places)}",
    ]
    return [forms[i % len(forms)](article_spec(seed, rng.randrange(n_articles)), rng)
            for i in range(count)]


def ask_questions(seed: int, n_articles: int, count: int) -> list[str]:
    rng = random.Random(f"{seed}:ask")
    forms: list[Callable[[ArticleSpec, random.Random], str]] = [
        lambda s, r: f"What did {r.choice(s.people)[0]} say about the {s.topic} in {s.place}?",
        lambda s, r: f"How much will {r.choice(s.things)} in {s.place} cost?",
        lambda s, r: f"When did {r.choice(s.orgs)} announce its decision on {r.choice(s.things)}?",
        lambda s, r: f"How many {s.unit} were affected by the {s.topic} in {s.place}?",
        lambda s, r: f"Who is {r.choice(s.people)[0]}?",
    ]
    return [forms[i % len(forms)](article_spec(seed, rng.randrange(n_articles)), rng)
            for i in range(count)]
