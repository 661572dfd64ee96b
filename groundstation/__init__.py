"""The station service: MAVLink links, patrol lifecycle, store, API, live map."""
