"""Facts of the standards a plan computes expected values from (formulas, coding tables)."""
