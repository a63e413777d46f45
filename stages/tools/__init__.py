"""The commands around the pipeline, one module each (`python -m stages <command>`, see
stages/__main__.py): validate, estimate, suggest, review, fuse, fmt, stale, check, diff."""
