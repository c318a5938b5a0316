"""The rules of the application, shared by views, the CLI and tests; each public write commits once."""
