"""Shared pieces of the web half: code lists from the engine's taxonomy, small helpers."""
