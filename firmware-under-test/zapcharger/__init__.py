"""Emulated ZapCharger Pro firmware: HAL contract, profile, application."""
