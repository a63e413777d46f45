"""Pipeline stages: one module per stage in dvc.yaml, shared code in `stages.core`."""
