"""Editorial stage: candidate states and the assembly of an issue (pure)."""
