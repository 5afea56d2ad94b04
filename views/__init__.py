"""HTTP surfaces shared by every platform: webhook inbox, health, admin panel."""
