"""Okapi BM25 ranking of short documents (FAQ entries) against a visitor's question.

Small enough to own: a channel has tens to hundreds of FAQ entries, so the index is rebuilt
from them on each question (microseconds) rather than cached and invalidated.

Raw BM25 scores are not comparable between queries, so :meth:`Bm25.rank` also gives a
confidence in [0, 1]: the score divided by the score a document of average length containing
every query term once would get. A question whose words all appear in an entry scores close
to 1; one whose words are mostly absent from every entry scores close to 0.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from parley_chatbot_engine.matching import normalise

# The usual Okapi constants (Robertson & Zaragoza): term-frequency saturation and length
# normalisation. FAQ entries are short, so neither matters much; the textbook values are fine.
K1 = 1.2
B = 0.75
# Words that carry no meaning in a support question; without them "how do I reset my password"
# is matched on "reset password", not on "how" and "do".
STOPWORDS = frozenset(
    "a an and are as at be but by can could do does for from have how i if in is it its me my "
    "not of on or our please should so that the their there this to want was we what when where "
    "which who why will with would you your".split()
)


def tokens(text: str) -> list[str]:
    """The words of ``text`` that count, normalised; a crude plural strip makes "orders" find "order"."""
    words = [word for word in normalise(text).split() if word not in STOPWORDS]
    return [word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word for word in words]


@dataclass(frozen=True)
class Ranked:
    index: int
    score: float
    confidence: float


class Bm25:
    """An index over ``documents``; :meth:`rank` orders them for a query, best first."""

    def __init__(self, documents: Sequence[str]) -> None:
        self._docs = [Counter(tokens(document)) for document in documents]
        self._lengths = [sum(doc.values()) for doc in self._docs]
        self._average = (sum(self._lengths) / len(self._lengths)) if self._docs else 0.0
        self._frequency: Counter[str] = Counter(term for doc in self._docs for term in doc)

    def idf(self, term: str) -> float:
        """Lucene's non-negative BM25 idf; a term no document has gets the highest value."""
        count = len(self._docs)
        having = self._frequency.get(term, 0)
        return math.log((count - having + 0.5) / (having + 0.5) + 1.0)

    def score(self, query_terms: Sequence[str], index: int) -> float:
        doc, length = self._docs[index], self._lengths[index]
        norm = K1 * (1 - B + B * length / self._average) if self._average else K1
        total = 0.0
        for term in query_terms:
            frequency = doc.get(term, 0)
            if frequency:
                total += self.idf(term) * frequency * (K1 + 1) / (frequency + norm)
        return total

    def rank(self, query: str) -> list[Ranked]:
        """Documents with a positive score, best first, each with its confidence."""
        terms = list(dict.fromkeys(tokens(query)))
        if not terms or not self._docs:
            return []
        ideal = sum(self.idf(term) for term in terms)
        ranked = [
            Ranked(index, score, min(1.0, score / ideal))
            for index in range(len(self._docs))
            if (score := self.score(terms, index)) > 0
        ]
        return sorted(ranked, key=lambda item: (-item.score, item.index))
