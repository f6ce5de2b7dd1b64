"""Webhook target checks, with the resolver stubbed (no DNS in unit tests)."""

from __future__ import annotations

import pytest

from services.matching.service.targets import TargetRefused, check_target


def resolving_to(*addresses: str):  # type: ignore[no-untyped-def]
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fd00::1",
        "0.0.0.0",
        "100.64.0.1",
    ],
)
def test_a_name_resolving_to_a_private_address_is_refused(address: str) -> None:
    with pytest.raises(TargetRefused, match="private, loopback or link-local"):
        check_target(
            "https://hooks.example.org/x", allow_private=False, resolver=resolving_to(address)
        )


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(TargetRefused):
        check_target(
            "https://hooks.example.org/x",
            allow_private=False,
            resolver=resolving_to("93.184.216.34", "10.0.0.1"),
        )


def test_a_public_address_passes() -> None:
    check_target(
        "https://hooks.example.org/x", allow_private=False, resolver=resolving_to("93.184.216.34")
    )


def test_a_name_that_does_not_resolve_is_refused() -> None:
    def fail(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(TargetRefused, match="does not resolve"):
        check_target("https://nowhere.invalid/x", allow_private=False, resolver=fail)


def test_allowing_private_targets_skips_resolution_but_not_the_scheme() -> None:
    check_target("http://127.0.0.1:9/x", allow_private=True, resolver=resolving_to())
    with pytest.raises(TargetRefused, match="http"):
        check_target("file:///etc/passwd", allow_private=True)
