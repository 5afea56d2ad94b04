"""Platform connectors behind one interface (``connectors.base``) and one registry."""
