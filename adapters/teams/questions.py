"""A Teams message as a `Question`: who asks, who is listening, and the text without the
@mention.

In a 1:1 chat only the asker listens: the audience is the asker's groups and the answer is
private. In a group chat or channel everyone in it listens: the audience is what all members
share (never more than the asker's own groups); when the list of members is unknown, only
documents everyone may see.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from adapters.chat.feedback import Rating
from adapters.teams.sdk import Activity, ChannelAccount, ConversationAccount
from bot.audience import Audience
from bot.models import Asker, Question

PERSONAL = "personal"
_AT_TAG = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)


def is_personal(activity: Activity) -> bool:
    """A 1:1 chat with the bot (the Bot Framework Emulator's chats count as one)."""
    return is_personal_conversation(activity.conversation)


def is_personal_conversation(conversation: ConversationAccount | None) -> bool:
    if conversation is None:
        return False
    return conversation.conversation_type in (None, PERSONAL) and not conversation.is_group


@dataclass(frozen=True)
class NativeFeedback:
    """Teams' own 👍 / 👎 on a message, with the comment typed with it."""

    rating: Rating
    comment: str | None


REACTIONS: dict[str, Rating] = {"like": 1, "dislike": -1}


def native_feedback(value: object) -> NativeFeedback | None:
    """The feedback in a `message/submitAction` invoke's value: `actionName: feedback`,
    `actionValue.reaction` like or dislike, `actionValue.feedback` a JSON string whose
    `feedbackText` is the optional comment."""
    if not isinstance(value, dict) or value.get("actionName") != "feedback":
        return None
    action = value.get("actionValue")
    if not isinstance(action, dict):
        return None
    rating = REACTIONS.get(str(action.get("reaction")))
    if rating is None:
        return None
    try:
        details = json.loads(action.get("feedback") or "{}")
    except (TypeError, ValueError):
        details = {}
    text = details.get("feedbackText") if isinstance(details, dict) else None
    comment = text.strip()[:2000] if isinstance(text, str) and text.strip() else None
    return NativeFeedback(rating, comment)


FORMATTED_TEXT = "text/html"  # Teams' copy of the message itself, not a file


def has_files(activity: Activity) -> bool:
    """Whether the message came with files or images (which Deskmate cannot read)."""
    return any((a.content_type or "") != FORMATTED_TEXT for a in activity.attachments or [])


def conversation_of(conversation_id: str) -> str:
    """The conversation itself, without a channel's reply chain (`;messageid=`)."""
    return conversation_id.split(";")[0]


def bot_mentions(activity: Activity) -> list[dict[str, object]]:
    """The mention entities that name this bot."""
    found = []
    for entity in activity.entities or []:
        properties = entity.additional_properties or {}
        mentioned = properties.get("mentioned") or {}
        if (entity.type or "").lower() == "mention" and mentioned.get("id") == _bot_id(activity):
            found.append(properties)
    return found


def addressed_to_bot(activity: Activity) -> bool:
    """Every message in a 1:1 chat; elsewhere only messages that @mention the bot."""
    return is_personal(activity) or bool(bot_mentions(activity))


def question_text(activity: Activity) -> str:
    """The message text without the bot's @mention; other people's mentions keep their name."""
    text = activity.text or ""
    for mention in bot_mentions(activity):
        tag = mention.get("text")
        if isinstance(tag, str) and tag:
            text = text.replace(tag, " ")
    text = _AT_TAG.sub(r"\1", text)
    return " ".join(html.unescape(text).split())


def asker_of(activity: Activity, listeners: Sequence[Asker] | None) -> Asker:
    """The sender, by AAD object id, with the e-mail from the member list when it has one."""
    sender: ChannelAccount = activity.from_property
    user_id = sender.aad_object_id or sender.id
    for listener in listeners or ():
        if listener.user_id.lower() == user_id.lower():
            return listener
    return Asker(user_id=user_id, display_name=sender.name)


async def to_question(
    activity: Activity, text: str, audience: Audience, listeners: Sequence[Asker] | None
) -> Question:
    asker = asker_of(activity, listeners)
    conversation_id = conversation_key(activity.conversation.id)
    if is_personal(activity):
        return private_question(text, asker, audience, conversation_id)
    return Question(
        text=text,
        asker=asker,
        audience=await audience.shared(asker, listeners),
        asker_groups=audience.private(asker),
        conversation_id=conversation_id,
        private=False,
    )


def private_question(text: str, asker: Asker, audience: Audience, conversation_id: str) -> Question:
    """A question answered where only the asker can read it."""
    groups = audience.private(asker)
    return Question(text, asker, groups, groups, conversation_id, private=True)


def conversation_key(conversation_id: str) -> str:
    """Memory key: the conversation, and in a channel its reply chain (`;messageid=`)."""
    return f"teams:{conversation_id}"


def _bot_id(activity: Activity) -> str | None:
    return activity.recipient.id if activity.recipient else None
