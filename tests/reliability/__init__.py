"""Fault tests: the bot killed, the disk full, the LLM and the Bot API down."""
