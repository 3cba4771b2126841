"""How employees ask and how handbooks write: the words the keyword leg should not take
literally.

Chat words that say nothing about the topic (`QUESTION_WORDS`): PostgreSQL's English stop
words drop "the", "how" and "what", but not "many", "get", "give", "im", "ok" or "happens": the
words around the topic of "how many days holiday do i get?" or
"Im sick today, who do I tell?". A handbook rarely holds them next to the answer, so they
used to count as question words the best passage lacks (lowering the coverage that decides
whether to answer, bot.answerability) and as keyword hits on unrelated chunks. They are left
out of the keyword leg's query words (bot.store.search) unless a question has no other words.

The list is of such function-like words only: no topic words, however common ("leave",
"pay", "day", "work" stay: the keyword statistics weigh those).

The words handbooks use for what employees ask (`SYNONYMS`): an employee asks about "vacation"
where a US handbook writes "PTO" and a UK one "holiday" or "annual leave"; a passage holding
the handbook's word covers the employee's word (the keyword leg scores it with the handbook
word's own weight). Single words only, HR and workplace vocabulary only.

Both measured on the development questions of benchmarks/questions (docs/quality.md).
"""

from __future__ import annotations

_LISTED = """
    also always anybody anyone anything around ask asked asking away back best big bit
    cannot could dont don't done else enough ever every exactly find get gets getting
    give gives given go goes going gone good got gotten happen happens happened help hey hi
    however i'd i'll i'm im i've keep kind know later least let like little long look
    lot lots make many may maybe mean might mine much must need needs never nice ok okay
    often please possible pretty probably put quick quickly quite rather re really right said
    say says see since someone something soon sort still sure take tell thank thanks thing
    things think though today told tomorrow try trying us use usual usually ve want wants way
    well whats what's whether whose without wonder wondering would yes yet
    """
QUESTION_WORDS = frozenset(_LISTED.split())


# asked -> written: each pair one way; list both ways where both are asked.
_SYNONYMS = {
    "vacation": ("holiday", "pto", "leave", "annual"),
    "vacations": ("holiday", "pto", "leave", "annual"),
    "holiday": ("vacation", "pto", "leave"),
    "holidays": ("vacation", "pto", "leave"),
    "pto": ("vacation", "holiday", "leave"),
    "sick": ("illness", "sickness", "ill"),
    "ill": ("sick", "sickness", "illness"),
    "salary": ("pay", "compensation", "wage"),
    "wage": ("pay", "salary"),
    "wfh": ("remote", "home", "telework"),
    "remote": ("telework", "home"),
    "telework": ("remote", "home"),
    "maternity": ("parental", "pregnancy", "pregnant"),
    "paternity": ("parental",),
    "parental": ("maternity", "paternity"),
    "laptop": ("computer", "equipment"),
    "computer": ("laptop",),
    "reimburse": ("expense", "expenses", "claim"),
    "reimbursement": ("expense", "expenses", "claim"),
    "expense": ("reimbursement", "claim"),
    "boss": ("manager",),
    "fired": ("dismissal", "termination", "disciplinary"),
    "quit": ("resign", "resignation", "notice"),
    "resign": ("resignation", "notice"),
    "bereavement": ("compassionate", "death"),
    "compassionate": ("bereavement",),
    "funeral": ("bereavement", "compassionate"),
    "died": ("bereavement", "compassionate", "death"),
    "dad": ("family", "parent"),
    "mum": ("family", "parent"),
    "mom": ("family", "parent"),
    "grandma": ("family", "relative"),
    "grandpa": ("family", "relative"),
    "doctor": ("medical",),
    "dentist": ("medical", "appointment"),
    "appt": ("appointment",),
    "401k": ("pension", "retirement", "tsp"),
    "pension": ("retirement",),
    "retirement": ("pension",),
    "overtime": ("toil", "comp"),
    "training": ("learning",),
    "bike": ("cycle", "bicycle"),
    "cycling": ("cycle", "bike"),
    "abroad": ("overseas",),
    "overseas": ("abroad",),
    "harassment": ("bullying",),
    "bullying": ("harassment",),
}
SYNONYMS: tuple[tuple[str, str], ...] = tuple(
    (asked, written) for asked, words in _SYNONYMS.items() for written in words
)


def question_words_text() -> str:
    """The words as one text, for PostgreSQL to stem the way it stems questions."""
    return " ".join(sorted(QUESTION_WORDS))
