"""The project's benchmarks: ``python -m bench`` (``make bench``) runs them as one command and
prints one table (``bench/__main__.py``); each ``bench/<name>.py`` still runs alone."""
