"""The rig's pytest plugin, installed with the ``evse-rig`` package.

pytest loads it through the ``pytest11`` entry point named ``rig.pytest_plugin`` (see
``pyproject.toml``), in this repository and in any project that installed the package: a charger
maker's own plans need no ``conftest.py`` line. The entry point's name is this module's name on
purpose: a ``conftest.py`` that still says ``pytest_plugins = ["rig.pytest_plugin"]`` (needed
only under ``PYTEST_DISABLE_PLUGIN_AUTOLOAD``) finds it registered already and does nothing,
instead of registering it a second time (which pytest refuses), and ``-p no:rig.pytest_plugin``
switches both off.

It lives under ``rig`` rather than as a top-level ``fixtures`` package because an installed
top-level ``fixtures`` would clash with the PyPI package of that name (testing-cabal's
``fixtures``, pulled in by many test stacks). This repository keeps its ``fixtures/`` folder as a
thin alias for its own plans and tests (``fixtures/__init__.py``).

The modules, registered in this order (pytest calls hooks of the same priority last-registered
first): paths (where the catalogue, rig file and reports are; first, since the others import
it; the plugin module settles them first thing at configure), verdicts (requirement ids,
``record``), charger (trace, charger, charging), ocpp, meter (the charger's meter, read the
way the product file says), plugin (options, rig session,
instruments by role, safety), provenance (a step another client meddled with is an ERROR),
firmware (``--firmware-build``: the charger brought to a build by OCPP UpdateFirmware), records
(the record store), allure_rig.
"""

pytest_plugins = [
    "rig.pytest_plugin.paths",
    "rig.pytest_plugin.verdicts",
    "rig.pytest_plugin.charger",
    "rig.pytest_plugin.ocpp",
    "rig.pytest_plugin.meter",
    "rig.pytest_plugin.plugin",
    "rig.pytest_plugin.provenance",
    "rig.pytest_plugin.firmware",
    "rig.pytest_plugin.records",
    "rig.pytest_plugin.allure_rig",
]
