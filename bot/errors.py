"""The one error hierarchy of digestbot.

::

    DigestbotError
    ├── ConfigError        the config file or environment is invalid
    ├── FetchError         a feed could not be fetched (network, HTTP status, size, policy)
    │   └── BlockedURLError  the URL is not allowed (scheme, private address)
    ├── ParseError         a feed body could not be read at all
    ├── StoreError         a store could not be opened, read or written
    ├── SummarizeError     the LLM answered badly or not at all
    └── DeliveryError      a message could not be delivered to a chat

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
