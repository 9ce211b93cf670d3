"""V2X stations: vehicle OBUs and roadside units, and the rules for when they transmit."""
