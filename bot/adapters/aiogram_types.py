"""aiogram's Telegram types built when first used instead of all at import: ~100 MB less.

aiogram declares its pydantic models `defer_build=True`, then `aiogram.types` rebuilds every
one of them (about 400, each with its own validator and serializer) the moment it is imported,
to resolve their forward references (aiogram issue #1513). A bot process that parses updates
and makes a dozen kinds of calls needs a handful of them. Measured in a fresh interpreter:
`import aiogram` takes 165 MB of RSS as shipped, 58 MB with the rebuild deferred, 64 MB once
an Update and the methods Linli calls have been built.

`defer_type_building()` must run before aiogram is first imported. While aiogram's import
rebuilds its types it only keeps the namespace they are rebuilt with; afterwards every aiogram
model rebuilds itself with that namespace when pydantic first needs its validator.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel

_shipped = BaseModel.__dict__["model_rebuild"]
_rebuild = _shipped.__func__
_namespace: dict[str, Any] = {}


def defer_type_building() -> None:
    """Import aiogram with its types' validators left to be built on first use."""
    if "aiogram" in sys.modules:
        return  # imported already, and built as shipped
    deferring = classmethod(_rebuild_later)
    BaseModel.model_rebuild = deferring  # type: ignore[method-assign,assignment]
    try:
        import aiogram  # noqa: F401  (the import whose rebuild is deferred)
        from aiogram.client.context_controller import BotContextController
        from aiogram.methods.base import Response
    finally:
        BaseModel.model_rebuild = _shipped  # type: ignore[method-assign]
    # The bases of aiogram's types and methods, and of the Response[...] a call's answer is
    # read into: pydantic calls this when a model is first used before it was built.
    for base in (BotContextController, Response):
        base.model_rebuild = deferring  # type: ignore[method-assign,assignment]


def _rebuild_later(
    cls: type[BaseModel],
    *,
    force: bool = False,
    raise_errors: bool = True,
    _parent_namespace_depth: int = 2,
    _types_namespace: dict[str, Any] | None = None,
) -> bool | None:
    """model_rebuild for aiogram's models: aiogram's own call at import (the only one that
    passes a namespace) is only remembered; pydantic's call on first use builds with it."""
    if not cls.__module__.startswith("aiogram."):  # another model, during aiogram's import
        return _rebuild(
            cls,
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=_parent_namespace_depth + 1,
            _types_namespace=_types_namespace,
        )
    if _types_namespace is not None and not force:
        _namespace.update(_types_namespace)
        return None
    return _rebuild(cls, force=force, raise_errors=raise_errors, _types_namespace=_namespace)
