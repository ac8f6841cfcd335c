"""The workflow core that every state machine of the platform shares: transition tables (`transitions`) and
the refusals their services raise, translated once into responses (`errors`), gap-free running numbers
(`numbers`) and paging (`paging`). A base app: it imports no domain
app (the import-linter contract in pyproject.toml)."""
