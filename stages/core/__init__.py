"""The small shared core every stage uses; it imports nothing else of ours.

ids (the one hashing function), jsonl (the one canonical JSON/JSONL reader and writer),
schemas (the one schema loader), params (params.yaml, validated), log (messages, progress,
the run log of telemetry).
"""
