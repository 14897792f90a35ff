"""The stores' error boundary: no ``sqlite3.Error`` leaves a store, only ``StoreError``.

``store_boundary`` wraps every public method and property of a store class, its mixins'
included, so that an SQLite error met inside (a damaged page, a locked or read-only file, a
closed connection) comes out as a ``StoreError`` whose message says what it means and what to
do (``bot.store.archive_file.error_message``), with the SQLite error as its cause. Callers
then catch the one error tree of ``bot.errors`` and never the driver's. Errors a method raises
itself pass unchanged; private methods run inside public ones and are covered by them.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.errors import StoreError
from bot.store.archive_file import error_message

T = TypeVar("T")


def as_store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """The ``StoreError`` of an SQLite error met on the store at ``path`` (chain it: ``raise
    as_store_error(path, exc) from exc``)."""
    return StoreError(error_message(path, exc))


def _guard(func: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def guarded_coroutine(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await func(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise as_store_error(self.path, exc) from exc

        return guarded_coroutine
    if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
        # an error would come out of the iteration, after the wrapper returned
        raise TypeError(f"{func.__qualname__}: a store method returns its rows, not a generator")

    @functools.wraps(func)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise as_store_error(self.path, exc) from exc

    return guarded


def store_boundary(cls: type[T]) -> type[T]:
    """Wrap the public methods and properties of ``cls`` and of the classes it inherits from
    (see the module docstring). Instances need a ``path``, named in the error message. Class
    and static methods are left alone: they build stores, whose constructor wraps its own
    errors."""
    for name in dir(cls):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name)
        if isinstance(attr, property) and attr.fget is not None:
            setattr(cls, name, property(_guard(attr.fget), doc=attr.__doc__))
        elif inspect.isfunction(attr):
            setattr(cls, name, _guard(attr))
    return cls
