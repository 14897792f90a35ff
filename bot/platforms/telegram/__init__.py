"""Telegram: the channel over python-telegram-bot, its commands, HTML rendering, and start-up."""
