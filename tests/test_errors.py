"""``bot.errors`` lists the whole error tree: every ``DigestbotError`` subclass defined anywhere in
``bot/``, under its parent, with its module. Read from the modules, so the list cannot drift."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import bot
from bot import errors
from bot.errors import DigestbotError

# A line of the tree: the drawing, the class name, its description, and "(its.module)" when it
# is defined outside bot.errors.
TREE_LINE = re.compile(r"^(?P<drawing>(?:[│ ]   )*[├└]── |)(?P<name>[A-Z]\w*)\b(?P<rest>.*)$")
MODULE = re.compile(r"\((?P<module>bot(?:\.\w+)+)\)\s*$")


def documented_tree() -> dict[str, tuple[str | None, str]]:
    """Each class named in the docstring's tree: (its parent there, its module)."""
    doc = errors.__doc__ or ""
    block = doc.split("::", 1)[1].split("\n\n")[1]
    tree: dict[str, tuple[str | None, str]] = {}
    parents: list[str] = []  # the chain of ancestors of the line being read
    for line in block.splitlines():
        line = line[4:]  # the block's indentation
        found = TREE_LINE.match(line)
        if found is None:
            continue  # a description going on over a second line
        depth = len(found["drawing"]) // 4
        del parents[depth:]
        module = MODULE.search(found["rest"])
        tree[found["name"]] = (
            parents[-1] if parents else None,
            module["module"] if module else "bot.errors",
        )
        parents.append(found["name"])
    return tree


def defined_tree() -> dict[str, tuple[str | None, str]]:
    """Each ``DigestbotError`` class defined in a module of ``bot/``: (its parent, its module)."""
    tree: dict[str, tuple[str | None, str]] = {}
    for info in pkgutil.walk_packages(bot.__path__, "bot."):
        if info.name == "bot.__main__":
            continue  # running it is the command line
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if (
                inspect.isclass(cls)
                and cls.__module__ == module.__name__
                and issubclass(cls, DigestbotError)
            ):
                parent = cls.__bases__[0]
                tree[cls.__name__] = (
                    None if cls is DigestbotError else parent.__name__,
                    cls.__module__,
                )
    return tree


def test_the_docstring_reads_as_a_tree() -> None:
    tree = documented_tree()
    assert tree["DigestbotError"] == (None, "bot.errors")
    assert tree["BlockedURLError"] == ("FetchError", "bot.errors")
    assert tree["ChatGoneError"] == ("DeliveryError", "bot.delivery.channel")


def test_the_docstring_lists_every_error_class_of_bot_under_its_parent() -> None:
    assert documented_tree() == defined_tree()
