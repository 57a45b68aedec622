"""Social accounts: listing, tags/groups/policy/status edits, capabilities per platform."""
