"""Queues: ``queues.producers`` (``env.Q.send``/``sendBatch``) and ``queues.consumers`` (``queue(self, batch)``).

``config`` reads the tables, ``body`` encodes a message by its content type, ``batch`` is
what a consumer receives and how its calls settle each message, ``broker`` keeps messages
(in :mod:`pyworker.storage.queues`) and delivers them in batches through the invocation frame.
"""
