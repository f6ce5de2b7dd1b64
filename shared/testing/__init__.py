"""Test support shared by every service's tests (a pytest plugin loaded by the root conftest)."""
