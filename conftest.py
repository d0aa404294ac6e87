"""This repository's plans and tests get the rig's pytest plugin from its ``pytest11`` entry point
(the editable install of ``make venv``). Listed here too for runs with
``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``: the entry point carries the module's name, so with
autoload on this line finds it registered and does nothing (see rig/pytest_plugin/__init__.py)."""

pytest_plugins = ["rig.pytest_plugin"]
