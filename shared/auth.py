"""API keys: a visible prefix plus a secret, only a hash stored, compared in constant time.

Key format: `cfk_<prefix>_<secret>`; the prefix (10 lower-case base32 characters) identifies the
row, the secret carries 256 bits from `secrets`. Because the secret is random and long, a fast
SHA-256 digest (stdlib `hashlib`) is the right hash: a slow password hash (argon2, bcrypt) defends
low-entropy passwords and would only add tens of milliseconds to every request here. Digests are
compared with `hmac.compare_digest`.

Catalogue resolves keys from its own table; the other services ask catalogue's introspection
endpoint through `IntrospectionKeyResolver` and cache the answer briefly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Protocol

import httpx
from fastapi import Depends, Request

from shared.contracts.auth import KeyIntrospection, Role
from shared.errors import Forbidden, ServiceUnavailable, Unauthorized

KEY_SCHEME = "cfk"


@dataclass(frozen=True)
class Caller:
    key_id: int
    organisation_id: int
    organisation_kind: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class IssuedKey:
    prefix: str
    plaintext: str
    digest: str


def digest_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def issue_key() -> IssuedKey:
    prefix = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()[:10]
    secret = secrets.token_urlsafe(32)
    plaintext = f"{KEY_SCHEME}_{prefix}_{secret}"
    return IssuedKey(prefix=prefix, plaintext=plaintext, digest=digest_key(plaintext))


def key_prefix(plaintext: str) -> str | None:
    """The lookup prefix of a presented key, or None when it is not of our format."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME or len(parts[1]) != 10 or not parts[2]:
        return None
    return parts[1]


def digest_matches(plaintext: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest_key(plaintext), stored_digest)


class KeyResolver(Protocol):
    def resolve(self, plaintext: str) -> Caller | None: ...


class IntrospectionKeyResolver:
    """Asks catalogue who a key belongs to; caches answers (also refusals) for `ttl` seconds."""

    def __init__(self, client: httpx.Client, *, ttl: float) -> None:
        self._client = client
        self._ttl = ttl
        self._cache: dict[str, tuple[float, Caller | None]] = {}
        self._lock = threading.Lock()

    def resolve(self, plaintext: str) -> Caller | None:
        cache_key = hashlib.sha256(plaintext.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(cache_key)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            response = self._client.get(
                "/v1/auth/introspect", headers={"Authorization": f"Bearer {plaintext}"}
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                f"catalogue could not be reached to check the key: {exc}"
            ) from exc
        if response.status_code == 401:
            caller = None
        elif response.status_code == 200:
            info = KeyIntrospection.model_validate(response.json())
            caller = Caller(
                key_id=info.key_id,
                organisation_id=info.organisation_id,
                organisation_kind=info.organisation_kind,
                role=info.role,
            )
        else:
            raise ServiceUnavailable(
                f"catalogue answered {response.status_code} when checking the key"
            )
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[cache_key] = (now + self._ttl, caller)
        return caller


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <api key>'")
    return token.strip()


def get_caller(request: Request) -> Caller:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("an API key is required: send 'Authorization: Bearer <api key>'")
    resolver: KeyResolver = request.app.state.key_resolver
    caller = resolver.resolve(token)
    if caller is None:
        raise Unauthorized("the API key is unknown or revoked")
    return caller


def get_optional_caller(request: Request) -> Caller | None:
    if request.headers.get("Authorization") is None:
        return None
    return get_caller(request)


CallerDep = Annotated[Caller, Depends(get_caller)]
OptionalCallerDep = Annotated[Caller | None, Depends(get_optional_caller)]


def require_role(caller: Caller, *roles: Role) -> None:
    if caller.role not in roles and not caller.is_admin:
        allowed = ", ".join(roles)
        raise Forbidden(f"this action needs a key with role {allowed}; yours is {caller.role}")
