"""Reports of plan runs: plots (plots.py) and the compliance report."""
