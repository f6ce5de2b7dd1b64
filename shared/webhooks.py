"""Standard Webhooks signing: `whsec_` secrets and the `webhook-*` headers.

A signature is `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` keyed with the secret's
base64-decoded bytes (https://www.standardwebhooks.com). Signing goes through the
`standardwebhooks` library itself, so the bytes match what every receiver's library verifies;
the specification's test vector is checked in `services/matching/tests/service/test_signing.py`.
During a secret rotation a message carries one signature per valid secret, space-separated.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
MESSAGE_PREFIX = "msg_"
SECRET_BYTES = 24


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def new_message_id() -> str:
    return MESSAGE_PREFIX + secrets.token_urlsafe(18)


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """`v1,<signature>` of one message under one secret."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return Webhook(secret).sign(msg_id=message_id, timestamp=moment, data=body)


def headers(secrets_: Sequence[str], message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers; one signature per secret (newest first)."""
    signatures = " ".join(sign(secret, message_id, timestamp, body) for secret in secrets_)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
        "content-type": "application/json",
    }
