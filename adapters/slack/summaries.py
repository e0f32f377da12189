"""What Tipbot posts to Slack outside any request: payday summaries, the spotlight and payday notices.

Each call gets the workspace's own client (its stored bot token in OAuth mode). Posts
are paced per channel and per workspace (adapters/slack/pacing.py); a 429 is still
retried after its Retry-After by the client's retry handler; any other
failure is raised, so `Runtime.deliver_summary` reports that space and goes on with
the others.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from adapters.slack import render
from bot.reply import Reply, Summary

if TYPE_CHECKING:
    from adapters.slack.app import SlackApp

log = logging.getLogger(__name__)

SUMMARY_EVENT = "tipbot_payday_summary"  # message metadata tagging a summary post with its payday
HISTORY_LOOKBACK = 100  # messages searched for it (a takeover follows a crash within minutes)


async def post_summary(slack: SlackApp, team_id: str, channel_id: str, summary: Summary) -> None:
    """The summary message, then its chart (files_upload_v2) in the same channel."""
    client = await slack.client_for_team(team_id)
    async with slack.pacer.slot(team_id, channel_id):
        await client.chat_postMessage(channel=channel_id, **render.summary_message(summary),
                                      metadata={"event_type": SUMMARY_EVENT, "event_payload": {"marker": summary.marker}})
    if not summary.chart_png:
        return
    try:
        async with slack.pacer.slot(team_id, channel_id):
            await client.files_upload_v2(channel=channel_id, file=summary.chart_png,
                                         filename=summary.chart_filename, title=f"Payday: {summary.community_name}")
    except SlackApiError as error:
        # The summary itself is posted: failing here would make a retry post it twice.
        log.warning("payday chart for %s in %s not uploaded: %s", team_id, channel_id, error.response.get("error"))


async def find_summary(slack: SlackApp, team_id: str, channel_id: str, summary: Summary) -> bool | None:
    """Whether the channel's recent messages hold this payday's summary (by its metadata);
    None when Slack will not say (no history scope, channel gone)."""
    client = await slack.client_for_team(team_id)
    try:
        async with slack.pacer.slot(team_id, channel_id):
            response = await client.conversations_history(channel=channel_id, limit=HISTORY_LOOKBACK,
                                                          include_all_metadata=True)
    except SlackApiError as error:
        log.warning("cannot tell whether the summary is in %s of %s: %s", channel_id, team_id,
                    error.response.get("error"))
        return None
    return any((m.get("metadata") or {}).get("event_type") == SUMMARY_EVENT
               and (m["metadata"].get("event_payload") or {}).get("marker") == summary.marker
               for m in response.get("messages") or [])

async def post_message(slack: SlackApp, team_id: str, channel_id: str, reply: Reply) -> None:
    """A message everyone in the channel sees (the weekly spotlight), its buttons included."""
    client = await slack.client_for_team(team_id)
    message = render.reply_message(reply)
    async with slack.pacer.slot(team_id, channel_id):
        await client.chat_postMessage(channel=channel_id, text=message["text"], blocks=message["blocks"])


async def send_direct(slack: SlackApp, team_id: str, user_id: str, text: str) -> None:
    """A DM to one member (the payday telling a tipper why a tip waited)."""
    client = await slack.client_for_team(team_id)
    await slack.send_dm(client, user_id, render.reply_message(Reply(text=text)))
