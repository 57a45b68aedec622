"""Posts: create (idempotent), list, get, edit, retry, delete; automatic account choice."""
