"""pyworker across processes: the dev registry, the transport between them, wrangler dev, own processes."""
