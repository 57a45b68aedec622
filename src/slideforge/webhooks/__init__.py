"""Signed outbound webhooks (Standard Webhooks): endpoints, the delivery outbox, the events."""
