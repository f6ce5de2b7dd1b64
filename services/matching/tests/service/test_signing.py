"""Webhook signatures match the Standard Webhooks specification byte for byte."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from shared.webhooks import headers, new_message_id, new_secret, sign

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = '{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specification_test_vector() -> None:
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_a_fresh_message_verifies_with_the_library() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    body = '{"type":"match.created"}'
    signed = headers([secret], new_message_id(), int(time.time()), body)
    assert Webhook(secret).verify(body, signed) == {"type": "match.created"}


def test_both_secrets_sign_during_a_rotation_and_a_stranger_fails() -> None:
    old, new = new_secret(), new_secret()
    body = "{}"
    signed = headers([new, old], "msg_1", int(time.time()), body)
    assert len(signed["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, signed)
    Webhook(new).verify(body, signed)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, signed)
