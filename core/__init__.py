"""Domain vocabulary, settings and business rules. Pure: no I/O, no framework imports."""
