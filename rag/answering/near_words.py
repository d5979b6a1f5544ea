"""Words of close meaning that MiniLM's single-word vectors keep apart.

The grounding checks accept a word of the question when the text holds it or a word close
to it in MiniLM's space. For news verbs that space is too coarse: "visit" and "met" score
0.41, "backed" and "support" 0.48, "went" and "joined" 0.51, while unrelated pairs reach
0.5. These families name what a news report says in other words (mostly verbs, and a few
nouns and adjectives a paraphrase swaps: "sole"/"only", "firm"/"corporation"); a word may
sit in more than one ("visit" is a meeting and a trip).
"""

from __future__ import annotations

from functools import lru_cache

from rag.text import stem

_FAMILIES = [
    "meet met meeting visit visited talks host hosted receive received",
    "visit visited trip travel travelled traveled journey went arrive arrived fly flew",
    "support supported back backed endorse endorsed favour favor champion embrace "
    "embraced advocate advocated",
    "join joined accompany accompanied attend attended participate participated",
    "propose proposed proposal plan suggest suggested suggestion offer offered initiative",
    "criticise criticised criticize criticized criticism condemn condemned denounce "
    "denounced slam slammed rebuke rebuked attack attacked",
    "reject rejected refuse refused deny denied dismiss dismissed oppose opposed veto "
    "vetoed block blocked",
    "ask asked request requested urge urged demand demanded appeal appealed",
    "thank thanked gratitude grateful appreciate appreciated",
    "warn warned warning caution cautioned",
    "agree agreed agreement deal accord",
    "discuss discussed discussion talk talked talks negotiate negotiated negotiation",
    "end ended halt halted stop stopped cease ceased ceasefire",
    "buy bought purchase purchased import imported",
    "announce announced post posted publish published write wrote declare declared",
    "say said tell told state stated add added note noted remark remarked report reported "
    "according",
    "win won victory",
    "expand expanded expansion enlarge enlarged enlargement extend extended extension",
    "only sole single lone",
    "plant facility site station",
    "company firm corporation business",
    "rely relied reliant reliance depend depended dependent dependence dependency",
    "send sent deliver delivered convey conveyed",
]


# Phrasal verbs, by the single verb they mean: "who WENT WITH him" asks who accompanied
# him, not who travelled.
PHRASAL = {
    "went with": "accompanied", "go with": "accompany", "came with": "accompanied",
    "travelled with": "accompanied", "traveled with": "accompanied",
    "sat in": "attended", "sit in": "attend", "took part": "participated",
    "take part": "participate",
}


@lru_cache(maxsize=1)
def _families() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for family in _FAMILIES:
        stems = {stem(w) for w in family.split()}
        for s in stems:
            out.setdefault(s, set()).update(stems)
    return {s: frozenset(near) for s, near in out.items()}


def near(word_stem: str) -> frozenset[str]:
    """Stems of words that say what `word_stem` says in a news report (itself included)."""
    return _families().get(word_stem, frozenset((word_stem,)))
