"""Workspaces, members, API keys, authentication and per-key rate limiting."""
