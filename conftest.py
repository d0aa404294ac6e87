"""Loads the rig's pytest plugin (fixtures/) for the plans and the framework's own tests."""

pytest_plugins = [
    "fixtures.verdicts",
    "fixtures.charger",
    "fixtures.ocpp",
    "fixtures.plugin",
    "fixtures.provenance",
    "fixtures.records",
    "fixtures.allure_rig",
]
