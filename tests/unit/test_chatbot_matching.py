"""Reading typed answers (options, emails, phones) and ranking FAQ entries with BM25."""

from __future__ import annotations

import pytest

from parley_chatbot_engine.bm25 import Bm25, tokens
from parley_chatbot_engine.faq import FaqEntry, decide, suggestion_content
from parley_chatbot_engine.matching import match_answer, normalise, valid_email, valid_phone
from parley_chatbot_engine.script import Answer

ANSWERS = [
    Answer(id="billing", label="Billing", aliases=["invoice", "payment"]),
    Answer(id="tech_issue", label="Something is broken", aliases=["bug"]),
    Answer(id="sales", label="Sales"),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Billing", "billing"),
        ("  BILLING!! ", "billing"),
        ("2", "tech_issue"),
        ("tech issue", "tech_issue"),
        ("I found a bug", "tech_issue"),
        ("question about my invoice please", "billing"),
        ("Sàlés", "sales"),
    ],
)
def test_typed_text_picks_the_answer(typed: str, expected: str) -> None:
    answer = match_answer(typed, ANSWERS)
    assert answer is not None and answer.id == expected


@pytest.mark.parametrize("typed", ["", "4", "0", "12", "hello", "a bug in the invoice"])
def test_unmatched_or_ambiguous_text_picks_nothing(typed: str) -> None:
    assert match_answer(typed, ANSWERS) is None


def test_normalise_drops_case_accents_and_punctuation() -> None:
    assert normalise("  Ça   marche, Éric?! ") == "ca marche eric"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ada@example.com", "ada@example.com"),
        (" Ada.L@Example.CO.UK ", "Ada.L@example.co.uk"),
        ("a+b@x.io", "a+b@x.io"),
    ],
)
def test_valid_emails(typed: str, expected: str) -> None:
    assert valid_email(typed) == expected


@pytest.mark.parametrize(
    "typed", ["ada", "ada@", "@example.com", "ada@example", "ada @example.com", "a@b@c.com", "x" * 250 + "@e.com"]
)
def test_invalid_emails(typed: str) -> None:
    assert valid_email(typed) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("+33 6 12 34 56 78", "+33612345678"), ("(555) 123-4567", "5551234567"), ("06.12.34.56.78", "0612345678")],
)
def test_valid_phones(typed: str, expected: str) -> None:
    assert valid_phone(typed) == expected


@pytest.mark.parametrize("typed", ["123", "call me", "+1 234 567 890 123 456 7", "12a4567", "++33612345678"])
def test_invalid_phones(typed: str) -> None:
    assert valid_phone(typed) is None


def test_tokens_drop_stopwords_and_plural_s() -> None:
    assert tokens("How do I reset my passwords?") == ["reset", "password"]
    assert tokens("Business address") == ["business", "address"]


def test_bm25_ranks_the_matching_document_first_with_high_confidence() -> None:
    index = Bm25(["reset your password", "opening hours of the shop", "shipping costs and delivery times"])
    ranked = index.rank("how can I reset my password")
    assert ranked[0].index == 0 and ranked[0].confidence > 0.9
    assert [item.index for item in index.rank("delivery")] == [2]
    assert index.rank("the of and") == [] and Bm25([]).rank("anything") == []


def test_bm25_rare_terms_weigh_more_than_common_ones() -> None:
    index = Bm25(["order status", "order refund", "order cancel", "refund policy"])
    assert index.idf("status") > index.idf("order")
    ranked = index.rank("order status")
    assert ranked[0].index == 0 and ranked[1].score < ranked[0].score


def test_bm25_confidence_drops_with_words_no_entry_has() -> None:
    index = Bm25(["reset your password", "opening hours"])
    sure = index.rank("reset password")[0].confidence
    unsure = index.rank("reset password for my fridge thermostat firmware")[0].confidence
    assert unsure < sure / 2


FAQ = [
    FaqEntry(
        id="f1", channel_id="ch", question="How do I reset my password?", answer="Use the 'Forgot password' link."
    ),
    FaqEntry(
        id="f2",
        channel_id="ch",
        question="What are your opening hours?",
        answer="9 to 17, Monday to Friday.",
        keywords=["open", "hours", "schedule"],
    ),
    FaqEntry(
        id="f3",
        channel_id="ch",
        question="How much is shipping?",
        answer="Free above 50 EUR.",
        keywords=["delivery", "cost"],
    ),
    FaqEntry(
        id="f4", channel_id="ch", question="Can I change my delivery address?", answer="Yes, until the parcel ships."
    ),
]


def test_faq_confident_match_is_answered() -> None:
    verdict = decide("how can I reset my password", FAQ, confident=0.6, suggest=0.25)
    assert verdict.outcome == "answer" and verdict.entries[0].id == "f1"


def test_faq_unsure_match_gets_at_most_three_suggestions() -> None:
    verdict = decide("delivery question about my parcel", FAQ, confident=0.6, suggest=0.1)
    assert verdict.outcome == "suggest" and 1 <= len(verdict.entries) <= 3
    assert {entry.id for entry in verdict.entries} <= {"f3", "f4"}
    content = suggestion_content(verdict.entries)
    assert content.suggestions[0].reply == verdict.entries[0].question


def test_faq_two_equally_good_entries_are_suggested_not_answered() -> None:
    verdict = decide("delivery", FAQ, confident=0.6, suggest=0.25)
    assert verdict.outcome == "suggest" and {entry.id for entry in verdict.entries} == {"f3", "f4"}


def test_faq_no_match_says_none() -> None:
    assert decide("do you sell bicycles", FAQ, confident=0.6, suggest=0.25).outcome == "none"
    assert decide("anything", [], confident=0.6, suggest=0.25).outcome == "none"
