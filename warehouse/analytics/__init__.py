"""The analytics store: raw extracts, mart SQL, reconciliations and the published snapshot."""
