"""The fault runs' private servers."""
