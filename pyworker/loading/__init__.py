"""Importing a worker's code in isolation and finding its entrypoints."""
