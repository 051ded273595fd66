"""Other notification servers' protocols, spoken by WakeDock (one sub-package each)."""
