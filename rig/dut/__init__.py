"""The charger's own interfaces: service console (pyserial), CAN (python-can), OCPP."""
