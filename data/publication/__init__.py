"""The publication: every number that may leave the server, computed and protected in one place."""
