"""The publish path: media preparation per platform, the platform adapters, the DBOS
workflows that send each target exactly once and follow it to the end."""
