"""Every sentence Deskmate says to users, in one place so tone and wording can be reviewed."""

from __future__ import annotations

DONT_KNOW = "I couldn't find an answer to that in the knowledge base."
DONT_KNOW_CLOSEST = "The closest documents I found were:"
DONT_KNOW_ASK = "You could ask {contacts}."
EXTRACTIVE_INTRO = "Here is what the knowledge base says:"
LLM_FALLBACK_NOTE = (
    "The AI model did not respond in time, so these are the most relevant passages instead."
)
NOT_GROUNDED_NOTE = "This answer does not cite the knowledge base; please double-check it."
PRIVATE_AVAILABLE = (
    "I may have a better answer from documents not everyone here can see. "
    "Ask me in a direct message and I'll answer privately."
)
STORE_UNAVAILABLE = (
    "The knowledge base is unavailable right now. Please try again in a few minutes."
)
ERROR = "Sorry, something went wrong while answering. (reference: {ref})"
LOOKING_UP = "Looking that up…"
EMPTY_QUESTION = "What would you like to know? Ask me a question about our policies or wiki."
RATE_LIMITED = "You're asking faster than I can keep up. Please wait a minute and try again."
FEEDBACK_THANKS_UP = "Thanks for the feedback! 👍"
FEEDBACK_THANKS_DOWN = "Thanks, noted. 👎 We'll use this to improve."
REINDEX_STARTED = "Re-indexing {what}. I'll message you when it's done."
REINDEX_RUNNING = "A re-index is already running; I won't start another one."
REINDEX_NOT_ADMIN = "Only Deskmate admins can re-index the knowledge base."
REINDEX_DONE = (
    "Re-index finished in {seconds:.0f}s: {added} added, {updated} updated, "
    "{unchanged} unchanged, {deleted} deleted, {failed} failed."
)
REINDEX_FAILED = "The re-index failed. (reference: {ref})"
UPDATED = "updated {date}"
INDEXED = "indexed {date}"
HELP = (
    "I answer questions from the company's wiki and HR documents, with sources.\n"
    "• Ask me anything: mention me in a channel, or message me directly.\n"
    "• `{command} ask <question>` answers privately.\n"
    "• `{command} status` shows what I know.\n"
    "• `{command} reindex [source]` re-indexes (admins only)."
)
WELCOME = (
    "Hi! I'm Deskmate. I answer questions from the company's wiki and HR documents and "
    "show where each answer comes from. Mention me with a question, or send me a message."
)
