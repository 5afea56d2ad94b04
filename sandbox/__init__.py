"""Loopback servers that speak each platform's real wire format (tests, benchmarks, demo)."""
