"""The ``queues`` table: producers and consumers, checked, with one clear error per mistake."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyworker.config.files import describe
from pyworker.config.model import WorkerConfig
from pyworker.errors import ConfigError

PRODUCER = '{ binding = "MY_QUEUE", queue = "my-queue" }'
CONSUMER = '{ queue = "my-queue", max_batch_size = 10 }'


@dataclass(frozen=True)
class Producer:
    binding: str
    queue: str
    delivery_delay: int = 0


@dataclass(frozen=True)
class Consumer:
    """A consumer's settings, with Cloudflare's defaults (10 messages, 5 s, 3 retries, no delay)."""

    queue: str
    max_batch_size: int = 10
    max_batch_timeout: float = 5
    max_retries: int = 3
    dead_letter_queue: str | None = None
    retry_delay: int = 0
    max_concurrency: int | None = None


def _table(config: WorkerConfig) -> dict[str, Any]:
    raw = config.extra.get("queues")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f'{describe(config.config_path)}: "queues" must be a table with producers and consumers.')
    return raw


def _entries(config: WorkerConfig, key: str, example: str) -> list[dict[str, Any]]:
    value = _table(config).get(key) or []
    where = describe(config.config_path)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ConfigError(f"{where}: queues.{key} must be a list of tables like {example}, got {value!r}.")
    return value


def _number(where: str, entry: dict[str, Any], key: str, default: Any, low: float, high: float) -> Any:
    value = entry.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(
            f"{where}: queues consumer of {entry.get('queue')!r}: {key} must be {low:g}-{high:g}, got {value!r}."
        )
    return value


def producers(config: WorkerConfig) -> list[Producer]:
    where = describe(config.config_path)
    found = []
    for entry in _entries(config, "producers", PRODUCER):
        binding, queue = entry.get("binding"), entry.get("queue")
        if not isinstance(binding, str) or not binding.isidentifier():
            raise ConfigError(f'{where}: a queue producer needs "binding", a valid name, got {binding!r}.')
        if not isinstance(queue, str) or not queue:
            raise ConfigError(f'{where}: queue producer {binding} needs "queue", the queue\'s name, got {queue!r}.')
        delay = _number(where, {**entry, "queue": queue}, "delivery_delay", 0, 0, 43200)
        found.append(Producer(binding, queue, int(delay)))
    names = [p.binding for p in found]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f'{where}: the binding name {name} is used twice in "queues.producers".')
    return found


def consumers(config: WorkerConfig) -> list[Consumer]:
    where = describe(config.config_path)
    found = []
    for entry in _entries(config, "consumers", CONSUMER):
        queue = entry.get("queue")
        if not isinstance(queue, str) or not queue:
            raise ConfigError(f'{where}: a queue consumer needs "queue", the queue\'s name, got {queue!r}.')
        dead = entry.get("dead_letter_queue")
        if dead is not None and (not isinstance(dead, str) or not dead or dead == queue):
            raise ConfigError(
                f"{where}: queues consumer of {queue!r}: dead_letter_queue must name another queue, got {dead!r}."
            )
        found.append(
            Consumer(
                queue=queue,
                max_batch_size=int(_number(where, entry, "max_batch_size", 10, 1, 100)),
                max_batch_timeout=float(_number(where, entry, "max_batch_timeout", 5, 0, 60)),
                max_retries=int(_number(where, entry, "max_retries", 3, 0, 100)),
                dead_letter_queue=dead,
                retry_delay=int(_number(where, entry, "retry_delay", 0, 0, 43200)),
                max_concurrency=_number(where, entry, "max_concurrency", None, 1, 250),
            )
        )
    return found


def consumer_map(configs: list[WorkerConfig], strict: bool = False) -> dict[str, tuple[str, Consumer]]:
    """Each consumed queue and ``(worker, settings)``. Cloudflare allows one consumer per queue:
    with ``strict`` a second one is a :class:`ConfigError`; otherwise the last declared wins."""
    found: dict[str, tuple[str, Consumer]] = {}
    for config in configs:
        for consumer in consumers(config):
            earlier = found.get(consumer.queue)
            if strict and earlier is not None and earlier[0] != config.name:
                raise ConfigError(
                    f'Queue "{consumer.queue}" has two consumers, workers {earlier[0]} and {config.name}; '
                    "a queue has one consumer. Remove one of the [[queues.consumers]] entries."
                )
            found[consumer.queue] = (config.name, consumer)
    return found
