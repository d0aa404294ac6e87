"""The report as PDF: Debian's Chromium prints the HTML file, headless and offline.

Chromium renders exactly what a reader of the HTML sees (the print CSS gives A4 pages, page
numbers and page breaks), and it is one apt package away on any Debian/Ubuntu machine, where
Python PDF libraries would each lay the report out their own way. Started with no sandbox (CI
runs as root), no GPU, a throw-away profile and every background service off; host resolution
is mapped to nowhere, so nothing can leave the machine even if a report linked out.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome",
              "google-chrome-stable")
TIMEOUT_S = 120


class PdfError(RuntimeError):
    """Chromium is missing, or it did not produce a PDF."""


def find_chromium() -> str | None:
    """The first Chromium-like browser found (absolute path), or None."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_args(binary: str, profile: str) -> list[str]:
    """Flags for a headless, sandbox-less, network-less Chromium."""
    return [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--disable-default-apps", "--mute-audio",
        "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
    ]


def print_pdf(html: Path, pdf: Path, binary: str | None = None) -> Path:
    """Print ``html`` to ``pdf`` with Chromium; raises :class:`PdfError` saying why not."""
    binary = binary or find_chromium()
    if binary is None:
        raise PdfError("PDF needs Chromium (apt-get install chromium); none found as "
                       + ", ".join(CANDIDATES))
    pdf = Path(pdf).resolve()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="rig-chromium-") as profile:
        cmd = [*chromium_args(binary, profile), "--no-pdf-header-footer",
               "--print-to-pdf-no-header", f"--print-to-pdf={pdf}",
               Path(html).resolve().as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise PdfError(f"{binary} did not print the PDF within {TIMEOUT_S} s") from None
    if not pdf.exists() or pdf.stat().st_size == 0 or pdf.read_bytes()[:5] != b"%PDF-":
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise PdfError(f"{binary} wrote no PDF (exit {proc.returncode}): " + " | ".join(tail))
    return pdf


__all__ = ["PdfError", "chromium_args", "find_chromium", "print_pdf"]
