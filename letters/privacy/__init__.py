"""Signers' rights: one-click unsubscribe, a copy of their data, and erasure."""
