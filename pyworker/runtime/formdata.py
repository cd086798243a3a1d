"""``FormData``: form fields as the SDK gives them, a mutable mapping that keeps repeated names."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from pyworker.runtime.blob import Blob, File
from pyworker.runtime.headers import Headers
from pyworker.runtime.jsview import JsFormData, owner_of

FormValue = str | Blob


class FormData(MutableMapping[str, FormValue]):
    """Form fields: ``form["name"]`` (the first value), ``get_all``, ``append(name, value, filename=None)``,
    ``delete``, ``in``; iterating yields the names, as in the SDK (multidict-like, JavaScript's methods too)."""

    _JS_NAME = "FormData"

    def __init__(self, form_data: Mapping[str, FormValue] | list[tuple[str, FormValue]] | None = None) -> None:
        self._items: list[tuple[str, FormValue]] = []
        form_data = owner_of(form_data)  # FormData(js_form_data): that form, as the SDK wraps it
        if isinstance(form_data, FormData):
            self._items = list(form_data._items)
        elif isinstance(form_data, Mapping):
            for name, value in form_data.items():
                self.append(name, value)
        elif form_data:
            for name, value in form_data:
                self.append(name, value)

    @classmethod
    def _parse(cls, data: bytes, content_type: str) -> FormData:
        if content_type.startswith("application/x-www-form-urlencoded"):
            return cls([(k, v) for k, v in parse_qsl(data.decode(), keep_blank_values=True)])
        if content_type.startswith("multipart/form-data"):
            header = f"Content-Type: {content_type}\r\n\r\n".encode()
            from email.parser import BytesParser  # here: the email package costs ~10 ms at start-up
            from email.policy import HTTP

            message = BytesParser(policy=HTTP).parsebytes(header + data)
            items: list[tuple[str, FormValue]] = []
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                decoded = part.get_payload(decode=True)
                payload = decoded if isinstance(decoded, bytes) else b""
                if filename is None:
                    items.append((str(name), payload.decode()))
                else:
                    items.append((str(name), File([payload], filename, part.get_content_type())))
            return cls(items)
        raise TypeError(f'Cannot parse form data from content-type "{content_type}".')

    def _encode(self, headers: Headers) -> bytes:
        """Encode as ``multipart/form-data``, as fetch does with a FormData body (files keep their bytes)."""
        boundary = f"----pyworker-{secrets.token_hex(12)}"
        if not headers.has("content-type"):
            headers.set("content-type", f"multipart/form-data; boundary={boundary}")
        parts: list[bytes] = []
        for name, value in self._items:
            disposition = f'Content-Disposition: form-data; name="{_escape(name)}"'
            if isinstance(value, Blob):
                filename = value.name if isinstance(value, File) else "blob"
                kind = value.content_type or "application/octet-stream"
                head = f'{disposition}; filename="{_escape(filename)}"\r\nContent-Type: {kind}'
                data = value._content
            else:
                head, data = disposition, value.encode()
            parts.append(f"--{boundary}\r\n{head}\r\n\r\n".encode() + data + b"\r\n")
        return b"".join(parts) + f"--{boundary}--\r\n".encode()

    # -- the SDK's mapping ------------------------------------------------------------
    def __getitem__(self, name: str) -> FormValue:
        for key, value in self._items:
            if key == name:
                return value
        raise KeyError(name)

    def __setitem__(self, name: str, value: Any) -> None:
        if isinstance(value, list):
            raise TypeError("Expected single item in arguments to FormData.__setitem__")
        self.delete(name)
        self._items.append((name, _value(value)))

    def __delitem__(self, name: str) -> None:
        self.delete(name)

    def __iter__(self) -> Iterator[str]:
        return iter([key for key, _ in self._items])

    def __len__(self) -> int:
        # As the SDK's: len(self.keys()), and keys() is a generator.
        raise TypeError("object of type 'generator' has no len()")

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self._items)

    def append(self, key: str, value: FormValue, filename: str | None = None) -> None:
        value = _value(value)
        if filename is not None and isinstance(value, Blob):
            value = File([value], filename, value.content_type)
        self._items.append((key, value))

    def delete(self, key: str) -> None:
        self._items = [(name, value) for name, value in self._items if name != key]

    def get_all(self, key: str) -> list[FormValue]:
        return [value for name, value in self._items if name == key]

    def keys(self) -> Any:
        """A generator, as the SDK's (JavaScript's ``FormData.keys()``)."""
        return (key for key, _ in list(self._items))

    def values(self) -> Any:
        return (value for _, value in list(self._items))

    def items(self) -> Any:
        return (item for item in list(self._items))

    @property
    def js_object(self) -> JsFormData:
        """The JavaScript ``FormData`` the SDK wraps (``get``, ``getAll``, ``has``, ``set``, ``entries``...)."""
        return JsFormData(self)

    def _copy(self) -> FormData:
        """The form as the other side of a binding gets it: new objects throughout."""
        return FormData([(name, value._copy() if isinstance(value, Blob) else value) for name, value in self._items])

    def __repr__(self) -> str:
        return f"FormData({self._items!r})"


def _value(value: Any) -> FormValue:
    if isinstance(value, str | Blob):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return Blob([value])
    return str(value)


def _escape(name: str) -> str:
    # The HTML spec's escaping for names in a multipart/form-data header.
    return name.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")
