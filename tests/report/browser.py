"""Headless Chromium for the report tests: Debian's browser driven through Playwright."""

from __future__ import annotations

from typing import Any

import pytest

from rig.report.pdf import find_chromium


def chromium_and_playwright() -> tuple[str, Any]:
    """Debian's Chromium and Playwright's sync API, or a skip that says what is missing (a
    failure under RIG_TEST_CHROMIUM_REQUIRED, which .ci/run sets)."""
    import importlib
    import os

    binary = find_chromium()
    try:
        sync_api = importlib.import_module("playwright.sync_api")
    except ImportError:
        sync_api = None
    problem = None
    if binary is None:
        problem = ("no Chromium found (/usr/bin/chromium, chromium-browser, google-chrome): "
                   "apt-get install chromium (.ci/run installs it)")
    elif sync_api is None:
        problem = "playwright is not installed: pip install -e '.[dev]'"
    if problem and os.environ.get("RIG_TEST_CHROMIUM_REQUIRED"):
        pytest.fail(problem + " (RIG_TEST_CHROMIUM_REQUIRED is set)")
    if problem:
        pytest.skip(problem)
    return str(binary), sync_api
