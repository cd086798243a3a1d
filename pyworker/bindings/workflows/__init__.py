"""Workflows: the provider (:mod:`.provider`), the binding and instance handles (:mod:`.binding`), the
engine that runs instances (:mod:`.engine`), one run's steps (:mod:`.step`, :mod:`.attempts`), and
the values and errors that cross between them (:mod:`.lifecycle`, :mod:`.durations`)."""
