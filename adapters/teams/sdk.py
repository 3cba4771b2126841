"""The Teams SDK seam: every Bot Framework name the Teams adapter uses comes from here.

Deskmate speaks to Teams through `botbuilder` (Bot Framework SDK for Python). Its successor,
the Microsoft 365 Agents SDK, keeps aiohttp and the activity schema but renames packages and
classes; a move to it starts in this module, and the rest of `adapters/teams/` imports
nothing from the SDK directly (a test checks that).
"""

from __future__ import annotations

from botbuilder.core import CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.conversation_reference_extension import get_continuation_activity
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo, teams_get_team_info
from botbuilder.core.teams.teams_activity_extensions import teams_get_channel_data
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
    Entity,
    ErrorResponseException,
    ResourceResponse,
)
from botbuilder.schema.teams import TeamsChannelAccount
from botframework.connector.auth import AuthenticateRequestResult

__all__ = [
    "Activity",
    "ActivityTypes",
    "AdaptiveCardInvokeResponse",
    "AuthenticateRequestResult",
    "CardFactory",
    "ChannelAccount",
    "CloudAdapter",
    "ConfigurationBotFrameworkAuthentication",
    "ConversationAccount",
    "ConversationParameters",
    "ConversationReference",
    "Entity",
    "ErrorResponseException",
    "InvokeResponse",
    "MessageFactory",
    "ResourceResponse",
    "TeamsActivityHandler",
    "TeamsChannelAccount",
    "TeamsInfo",
    "TurnContext",
    "get_continuation_activity",
    "teams_get_channel_data",
    "teams_get_team_info",
]
