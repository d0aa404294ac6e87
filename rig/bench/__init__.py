"""The built-in emulated bench: electrical model, emulated instruments, charger firmware host.

Nothing in plans, fixtures or drivers imports this package; the in-process bench fixture
(``fixtures/emulator.py``) only starts it, and ``rig bench serve`` runs it standalone.
"""
