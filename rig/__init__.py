"""evse-rig: HIL test rig framework for AC EV chargers."""
