"""Compute: generators (torch) and mesh operations (trimesh). Bytes/arrays in, bytes/arrays + usage out."""
