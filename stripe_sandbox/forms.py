"""Decoding Stripe's ``application/x-www-form-urlencoded`` parameters.

Stripe's v1 API (and therefore the official SDK) sends nested parameters as bracketed keys:
``metadata[donor]=x``, ``line_items[0][price_data][unit_amount]=500`` and arrays either
indexed (``expand[0]=a``, what the SDK sends) or with empty brackets (``expand[]=a``, what
people type into curl). This module turns such pairs into plain nested dicts and lists so the
endpoint code never deals with brackets. Values stay strings; endpoints coerce and validate.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import invalid

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def split_key(key: str) -> list[str]:
    """``"a[b][0]"`` -> ``["a", "b", "0"]``; ``"a[]"`` -> ``["a", ""]``."""
    if "[" not in key:
        return [key]
    base, rest = key.split("[", 1)
    rest = "[" + rest
    parts = _BRACKETS.findall(rest)
    if not base or "".join(f"[{p}]" for p in parts) != rest:
        # Malformed brackets: treat the whole thing as an opaque (and thus unknown) key.
        return [key]
    return [base, *parts]


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        converted = {k: _listify(v) for k, v in node.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return node


def decode_pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Build nested params from ``(key, value)`` pairs."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = split_key(key)
        node = root
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if part == "":
                # "a[]" appends: use the next free numeric slot.
                part = str(sum(1 for k in node if k.isdigit()))
            if last:
                if isinstance(node.get(part), dict):
                    raise invalid(f"Invalid value for {key}: expected an object.", param=key)
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise invalid(f"Invalid value for {key}: mixed scalar and object.", param=key)
                node = child
    return _listify(root)


def decode(text: str) -> dict[str, Any]:
    """Decode a query string or form body."""
    if not text:
        return {}
    return decode_pairs(parse_qsl(text, keep_blank_values=True))
