"""The production end-of-line plan (see plan.py)."""
