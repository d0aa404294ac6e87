"""Instrument drivers: one protocol per class of instrument (``protocols``), one driver per model.

Open a driver by model name with :func:`rig.instruments.registry.open_instrument`; plans type
against :mod:`rig.instruments.protocols` only.
"""
