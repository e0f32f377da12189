"""Command handlers, one module per area. Importing this package registers them all."""

import importlib

MODULES = ("tips", "info", "admin", "payday", "linking", "stripe", "projects")

for _name in MODULES:
    try:
        importlib.import_module(f"bot.handlers.{_name}")
    except ModuleNotFoundError as _error:
        if _error.name != f"bot.handlers.{_name}":
            raise
