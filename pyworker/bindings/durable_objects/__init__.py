"""Durable Objects (``durable_objects.bindings = [{ name, class_name, script_name? }]`` and ``migrations``).

The kind's provider is :mod:`.provider` (``KEY``, ``build``, ``describe``, as the other kinds'
modules). The package holds the config (:mod:`.config`), ids (:mod:`.ids`), namespaces (:mod:`.namespace`),
stubs (:mod:`.stub`), each object's lifecycle (:mod:`.instance`), its ``ctx`` (:mod:`.state`),
``ctx.storage`` (:mod:`.storage`, :mod:`.sql`) and the server-wide registry with the alarms
(:mod:`.registry`); the data is in :mod:`pyworker.storage.durable_objects`.
"""
