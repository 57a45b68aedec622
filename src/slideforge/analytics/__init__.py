"""Analytics: tracked accounts, snapshots of our posts, summaries, trend briefs and hook experiments."""
