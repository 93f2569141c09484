"""The only layer that touches files, PDOK, CBS and the database."""
