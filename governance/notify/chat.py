"""Team-chat delivery: a notice posted to a Slack or Microsoft Teams incoming webhook.

Through ``slack_sdk``'s ``WebhookClient``, which posts JSON to the destination's URL as it is
(real Slack and Teams/Workflows webhook URLs in production; a loopback receiver in tests).
Its own retries are off: the outbox retries with backoff and records the failure. Its debug
log (which prints the URL) goes to a logger outside the logging tree, and any error text is
scrubbed of the URL before it is recorded.
"""

import logging

from django.conf import settings
from slack_sdk.webhook import WebhookClient

from governance.choices import ChatKind
from governance.notify import crypto

# Not attached to the logging tree and above DEBUG: slack_sdk logs nothing of the URL.
_SILENT = logging.Logger("governance.notify.chat.http", logging.CRITICAL)


class ChatDeliveryError(Exception):
    """A post that did not arrive; ``permanent`` when no retry can help (the webhook is gone)."""

    def __init__(self, message, permanent=False):
        super().__init__(message)
        self.permanent = permanent


def payload(kind, title, message, link):
    if kind == ChatKind.TEAMS:
        body = [
            {"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True},
            {"type": "TextBlock", "text": message, "wrap": True},
        ]
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": body,
            "actions": [{"type": "Action.OpenUrl", "title": "Open", "url": link}] if link else [],
        }
        return {
            "type": "message",
            "summary": title,
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
        }
    text = f"*{title}*\n{message}" + (f"\n<{link}|{link}>" if link else "")
    return {"text": title, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def post(destination, title, message, link):
    """Post one notice; raises ChatDeliveryError (scrubbed of the URL) when it did not arrive."""
    url = destination.webhook_url
    if not url:
        raise ChatDeliveryError("The destination has no readable webhook URL (enter it again).", permanent=True)
    client = WebhookClient(url, timeout=settings.CHAT_WEBHOOK_TIMEOUT, logger=_SILENT, retry_handlers=[])
    try:
        response = client.send_dict(payload(destination.kind, title, message, link))
    except Exception as error:  # noqa: BLE001 - connection trouble: retried by the outbox
        raise ChatDeliveryError(crypto.scrub(f"{type(error).__name__}: {error}", url)) from None
    if response.status_code >= 300:
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        detail = crypto.scrub(str(response.body)[:200], url)
        raise ChatDeliveryError(f"HTTP {response.status_code}: {detail}", permanent=permanent)
    return response.status_code
