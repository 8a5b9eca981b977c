"""chatmigrate: make a session-cookie to JWT-bearer auth cutover safe."""

__version__ = "0.1.0"
