"""Discord: the bot and webhook channels, slash commands, embeds, and the client's start-up."""
