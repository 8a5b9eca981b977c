"""OpenAPI documents and JSON Schemas: reading them offline, checking them whole, and explaining violations."""
