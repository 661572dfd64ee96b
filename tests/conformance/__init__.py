"""Conformance: the same scenarios against our simulator and against ArduPilot's ArduCopter SITL.

Every test takes the ``autopilot`` fixture and runs twice, ``[sim]`` and ``[sitl]``. Where the two
differ, the simulator is wrong: scenarios are written for ArduCopter. The SITL half needs
``ECOPATROL_SITL_BINARY`` (see ``tests/sitl.py``); without it it skips, with ``CI=true`` it fails.

    ECOPATROL_SITL_BINARY=../shared/sitl/arducopter .venv/bin/pytest tests/conformance
"""
