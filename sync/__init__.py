"""The engine: inbox, jobs, lifecycle and privacy handling (stock ledger and mirror build on it)."""
