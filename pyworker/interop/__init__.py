"""Reaching workers of other processes: the dev registry, the transport between pyworker processes, wrangler dev."""
