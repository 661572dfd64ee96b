"""A multi-vehicle MAVLink SITL that behaves like an ArduPilot copter toward a ground station."""
