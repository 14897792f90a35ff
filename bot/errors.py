"""The one error hierarchy of digestbot: every error it raises on purpose, wherever defined.

::

    DigestbotError              base of all; also raised as is (the data folder's lock is held)
    ├── ConfigError             the config file or environment is invalid
    ├── FetchError              a feed could not be fetched (network, HTTP status, size, policy)
    │   ├── BlockedURLError     the URL is not allowed (scheme, private address)
    │   ├── FetchStatusError    an HTTP error status                    (bot.ingest.fetch)
    │   └── BodyTooLarge        the body went past the byte limit       (bot.ingest.decode)
    ├── ParseError              a feed body could not be read at all
    ├── StoreError              a store could not be opened, read or written (the archive's
    │                           SQLite errors come out as this, the SQLite error as its cause)
    ├── SummarizeError          the LLM answered badly or not at all
    └── DeliveryError           a message could not be delivered to a chat
        ├── ChatGoneError       the chat removed the bot: unsubscribed  (bot.delivery.channel)
        ├── ChatMovedError      the chat has a new id                   (bot.delivery.channel)
        ├── RetryLaterError     the platform asks to wait               (bot.delivery.channel)
        └── TransientDeliveryError  a network problem: sent again later (bot.delivery.channel)

A class defined outside this module names its module; every ``DigestbotError`` subclass in
``bot/`` is in the tree (tests/test_errors.py checks it, parents and modules included).

Callers catch ``DigestbotError`` at the edges (CLI, scheduler jobs, chat handlers) and turn it
into one log line or one user message; nothing below those edges swallows errors silently.
"""

from __future__ import annotations


class DigestbotError(Exception):
    """Base of every error digestbot raises on purpose."""


class ConfigError(DigestbotError):
    """The configuration is invalid. ``str(err)`` is one line naming the file and the key."""


class FetchError(DigestbotError):
    """A feed could not be fetched."""


class BlockedURLError(FetchError):
    """A URL was refused by policy (scheme, or an address in a private range)."""


class ParseError(DigestbotError):
    """A feed body could not be parsed into entries."""


class StoreError(DigestbotError):
    """A store could not be opened, read or written."""


class SummarizeError(DigestbotError):
    """The summarizer failed; callers fall back to the offline summary."""


class DeliveryError(DigestbotError):
    """A message could not be delivered."""
