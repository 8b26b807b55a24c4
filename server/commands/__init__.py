"""`coditect-console server <command>` implementations: each is `async def f(settings, args) -> int`."""
