"""The production end-of-line station (``rig eol``): scan, check, test, record, label, next.

One module per job: ``scanner`` (the barcode scanner on a serial port, or the keyboard),
``policy`` (retests, repair, supervisor override, from the record store's history), ``labels``
(ZPL to a file or a raw TCP printer port), ``station`` (one unit through the EOL plan, the
loop). The plan itself is ``testplans/eol``; the station runs it in-process, one pytest session
per unit, against the rig file's instruments. See docs/eol.md.
"""
