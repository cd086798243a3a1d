"""Reaching workers of other processes: the dev registry shared with wrangler, the transport, child processes."""
