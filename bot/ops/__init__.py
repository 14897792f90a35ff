"""Operating the bot: status and health, logs, feeds and chats administration, export and import,
retention rules, the demo's feed server."""
