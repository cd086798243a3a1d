"""Events the runtime delivers to a worker besides HTTP: ``scheduled`` (cron triggers) and its matcher."""
