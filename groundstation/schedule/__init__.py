"""Unattended patrols on a schedule.

- :mod:`.triggers`: cron or list of times (time zone, date range, season) -> APScheduler trigger;
- :mod:`.gonogo`: daylight (civil twilight), wind, and picking a drone from the pool;
- :mod:`.store`: schedules and the run log in the database;
- :mod:`.settings`: battery floor, wind limit, daylight check, misfire grace;
- :mod:`.service`: the scheduler in the service's lifespan, firing runs through the lifecycle.
"""
