"""An example external bot for Parley (docs/bots.md): a small aiohttp service of its own."""
