"""Every sentence Deskmate says to users, in one place so tone and wording can be reviewed."""

from __future__ import annotations

from bot.errors import UnusableQuestion

DONT_KNOW = "I couldn't find an answer to that in the knowledge base."
DONT_KNOW_CLOSEST = "The closest documents I found were:"
DONT_KNOW_ASK = "You could ask {contacts}."
EXTRACTIVE_INTRO = "Here is what the knowledge base says:"
LLM_FALLBACK_NOTE = (
    "The AI model did not respond in time, so these are the most relevant passages instead."
)
REPLY_REJECTED_NOTE = (
    "The AI model's answer did not pass our checks, so these are the most relevant passages "
    "instead."
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
QUESTION_TOO_LONG = (
    "That is more text than I can take as one question (at most {limit:,} characters). "
    "Please ask it in a sentence or two."
)
RATE_LIMITED = "You're asking faster than I can keep up. Please wait a minute and try again."
FEEDBACK_THANKS_UP = "Thanks for the feedback! 👍"
FEEDBACK_THANKS_DOWN = "Thanks, noted. 👎 We'll use this to improve."
REINDEX_STARTED = "Re-indexing {what}. I'll message you when it's done."
REINDEX_RUNNING = "A re-index is already running; I won't start another one."
REINDEX_NO_SOURCES = (
    "There is nothing to re-index yet: index a folder with `deskmate index PATH` on the "
    "server, or list the sources in sources.yaml (DESKMATE_SOURCES)."
)
REINDEX_NOT_ADMIN = "Only Deskmate admins can re-index the knowledge base."
REINDEX_DONE = (
    "Re-index finished in {seconds:.0f}s: {added} added, {updated} updated, "
    "{unchanged} unchanged, {deleted} deleted, {failed} failed."
)
REINDEX_FAILED = "The re-index failed. (reference: {ref})"
UPDATED = "updated {date}"
PAGES = "p. {pages}"
SOURCES = "Sources"
CLOSEST_SOURCES = "Closest sources"
BUTTON_HELPFUL = "👍 Helpful"
BUTTON_NOT_HELPFUL = "👎 Not helpful"
BUTTON_PRIVATE = "Answer me privately"
ANSWER_GONE = "I can no longer find that answer. Please ask the question again."
REINDEX_UNKNOWN = "I don't know a source called {unknown}. The sources are: {known}."
STATUS_RUNNING = "A re-index is running now."
HELP = (
    "I answer questions from the company's wiki and HR documents, with sources.\n"
    "• Ask me anything: mention me in a channel, or message me directly.\n"
    "• `{command} ask <question>` answers privately.\n"
    "• `{command} status` shows what I know.\n"
    "• `{command} reindex [source]` re-indexes (admins only).\n"
    "• `{command} admin` sends you a sign-in link to the admin console (admins only)."
)
# --- Microsoft Teams ---------------------------------------------------------------------
TEAMS_WELCOME = (
    "Hi! I'm Deskmate. I answer questions from {knowledge}, and every answer shows the "
    "documents it comes from.\n\n"
    "- In a channel or group chat, @mention me with your question.\n"
    "- In a 1:1 chat with me, just type it.\n\n"
    "Type **help** to see what else I can do."
)
TEAMS_KNOWLEDGE = "{documents} documents in {sources}"
TEAMS_KNOWLEDGE_EMPTY = "the company's wiki and HR documents (nothing is indexed yet)"
TEAMS_HELP = (
    "I answer questions from the company's wiki and HR documents, with sources.\n\n"
    "- **Ask**: @mention me with your question in a channel or group chat, "
    "or just type it in a 1:1 chat with me.\n"
    "- **status**: what I know and when it was last indexed.\n"
    "- **reindex** [source]: re-index every source, or just one (admins only).\n"
    "- **admin**: a sign-in link to the admin console, in a 1:1 chat (admins only).\n"
    "- **help**: this message."
)
TEAMS_HELP_ADMIN = (
    TEAMS_HELP + "\n- **digest here** / **digest off**: post the weekly digest and notices of "
    "failed re-indexes in this conversation, or stop them (admins only)."
)
TEAMS_STATUS_TITLE = "**What I know**"
TEAMS_STATUS_SOURCE = "- **{source}**: {documents} documents, {chunks} passages, indexed {when}"
TEAMS_STATUS_EMPTY = "Nothing is indexed yet. An admin can type **reindex** to index every source."
TEAMS_STATUS_LAST_RUN = "Last re-index: {status} ({trigger}), started {when}{took}."
TEAMS_PRIVATE_SENT = "I've sent you a private answer in our 1:1 chat."
TEAMS_PRIVATE_FAILED = (
    "I couldn't open a 1:1 chat with you. Start a chat with Deskmate and ask me there."
)
TEAMS_SHORTENED = (
    "This answer was too long for Teams and has been shortened; the sources have the full text."
)

# --- Slack ---------------------------------------------------------------------------------
BUTTON_ASK_HUMAN = "Ask a human"
BUTTON_SHARE = "Share in channel"
SHARED_BY = "<@{user}> asked: {question}"
FEEDBACK_MODAL_TITLE = "Deskmate feedback"
FEEDBACK_MODAL_LABEL = "What was wrong or missing? (optional)"
FEEDBACK_MODAL_SUBMIT = "Send"
FEEDBACK_MODAL_CLOSE = "Skip"
FEEDBACK_COMMENT_THANKS = "Thanks for explaining; it helps us improve the answers."
HANDOFF_REQUEST = "<@{user}> asked a question Deskmate couldn't fully answer:\n>{question}"
HANDOFF_MENTION = "{contact}, could you help <@{user}> with this question?\n>{question}"
HANDOFF_LINK = "<{url}|Open the conversation>"
HANDOFF_SENT = "I've passed your question to {contact}. Someone will follow up with you."
HANDOFF_DIRECT = (
    "The right people to ask are {contact}. I can't bring them into a direct message, "
    "so please contact them directly."
)
HANDOFF_FAILED = "I couldn't reach {contact}. Please contact them directly. (reference: {ref})"
STATUS_HEADER = "I know *{documents}* documents ({chunks} passages) from {sources} sources:"
STATUS_SOURCE = "• `{source}`: {documents} documents, last indexed {when}"
STATUS_LAST_RUN = "Last index run: {status} ({trigger}), started {started}. {counts}"
STATUS_NO_RUN = "No index run yet: an admin can start one with `{command} reindex`."
STATUS_EMPTY = "The knowledge base is empty."

# --- Operations ---------------------------------------------------------------------------
SCHEDULED_FAILURES = "The nightly re-index finished with failures. {summary}\n{failures}"


def unusable_question(error: UnusableQuestion, limit: int) -> str:
    """What to say when there is nothing to answer."""
    if error.kind == "too_long":
        return QUESTION_TOO_LONG.format(limit=limit)
    return EMPTY_QUESTION


# --- The admin console ---------------------------------------------------------------------
ADMIN_NOT_ADMIN = "Only Deskmate admins can open the admin console."
ADMIN_LINK = (
    "Your sign-in link to the Deskmate admin console (it works once, for {minutes} minutes; "
    "don't share it): {link}"
)
ADMIN_LINK_PRIVATE_ONLY = (
    "Ask me for the admin console in a 1:1 chat: sign-in links are only sent privately."
)
CONSOLE_SIGN_IN_NEEDED = (
    "Sign in first: ask Deskmate for a link with `/deskmate admin` in Slack or `admin` in a "
    "1:1 chat in Teams (admins only). Scripts send DESKMATE_ADMIN_TOKEN as a bearer token."
)
CONSOLE_LINK_REFUSED = (
    "This sign-in link has expired or was used already. Ask Deskmate for a new one with "
    "`/deskmate admin` in Slack or `admin` in Teams."
)
CONSOLE_FORBIDDEN = (
    "This request was refused: it did not carry the form's security token. Reload the page "
    "and try again."
)
CONSOLE_SIGNED_OUT = "You are signed out of the Deskmate admin console."
CONSOLE_REINDEX_STARTED = "Re-indexing {source}: the run is listed below; reload to follow it."
# --- The weekly digest to the admins ----------------------------------------------------------
DIGEST_TITLE = (
    "Deskmate this week: {questions} questions, {answered} answered, {up} 👍 and {down} 👎."
)
DIGEST_GAPS = "Top knowledge gaps (questions the knowledge base did not answer well):"
DIGEST_GAP = "• “{name}”: {size} questions ({trend} on the week before), owner: {owner}"
DIGEST_NO_OWNER = "no contact in sources.yaml"
DIGEST_NO_GAPS = "No knowledge gaps this week."
DIGEST_COMMENTS = "Comments left with a 👎:"
DIGEST_COMMENT = "• “{comment}” on “{question}”"
DIGEST_HERE = (
    "Done: the weekly digest and notices of failed nightly re-indexes will be posted in this "
    "conversation, for everyone in it to see. Type **digest off** to stop them."
)
DIGEST_MOVED = (
    "Done: the weekly digest and notices of failed nightly re-indexes will be posted in this "
    "conversation from now on, no longer where they went before. Type **digest off** to stop "
    "them."
)
DIGEST_ALREADY_HERE = (
    "The weekly digest and notices of failed nightly re-indexes are already posted in this "
    "conversation. Type **digest off** to stop them."
)
DIGEST_OFF = (
    "The weekly digest and notices of failed re-indexes are off. Type **digest here** in a "
    "chat or channel to post them there."
)
DIGEST_WAS_OFF = (
    "No conversation gets the weekly digest. Type **digest here** in a chat or channel to "
    "post it there."
)
DIGEST_NOT_ADMIN = "Only Deskmate admins can choose where the weekly digest goes."
DIGEST_SLACK_CHANNEL = (
    "In Slack the weekly digest goes to the channel named by DESKMATE_ADMIN_CHANNEL; whoever "
    "runs Deskmate sets it."
)
# --- platform-native AI answers (issue 14) --------------------------------------------------
FEEDBACK_LABEL_UP = "This answer was helpful"
FEEDBACK_LABEL_DOWN = "This answer was not helpful"
WORKING_STATUS = "Searching the handbook…"
WORKING_MESSAGES = (
    "Searching the handbook…",
    "Reading the most relevant pages…",
    "Writing the answer with its sources…",
)
SUGGESTED_PROMPTS_TITLE = "Try asking:"
SUGGESTED_PROMPT_FROM_TITLE = "What should I know about {title}?"
DEFAULT_PROMPTS = (
    "How many vacation days do I get?",
    "How do I connect to the VPN?",
    "Who do I ask about my payslip?",
)
ATTACHMENTS_IGNORED = "I can't read attachments yet; I answered from the text."
TEAMS_SEARCHING = "Searching the handbook…"
TEAMS_MORE_SOURCES = "Also see:"
