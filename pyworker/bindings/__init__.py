"""What a worker finds on ``self.env``: vars, secrets and service bindings."""
