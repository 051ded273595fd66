"""Dashboard templates: built-in and saved ones (router, schemas, service; builtins as data)."""
