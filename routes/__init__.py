"""Patrol route planning: pure functions from geometry in metres to routes and mission items."""
