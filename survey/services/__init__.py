"""The rules of the application, shared by views, the CLI and tests: they add and flush, never commit.

The request or the command that calls them commits once (survey/transaction.py).
"""
