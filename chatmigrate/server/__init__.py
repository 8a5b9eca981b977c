"""The embedded reference server: both auth worlds of the chat admin system on SQLite."""
