"""The stores: the bot state (TinyDB) and the archive (SQLite), each raising only StoreError."""
