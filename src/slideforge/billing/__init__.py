"""Credits (a ledger of grants, charges and refunds) and the subscription view."""
