"""The registry's record pages (households, members, income, card, registers, village
profiles), one module per group; urls_records.py names them. Statistics, exchange,
quality and re-check pages live in their own modules."""
