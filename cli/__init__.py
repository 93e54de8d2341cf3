"""The makeit3d command: composition root for demo, dev, migrate, seed, bench."""
