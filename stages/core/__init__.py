"""The small shared core every stage uses: canonical files, content ids, schemas, params."""
