"""Emulated instruments: one SCPI dialect each, all acting on the shared bench model."""
