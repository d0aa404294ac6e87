"""The production end-of-line station and plan (issue 10)."""
