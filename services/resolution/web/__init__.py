"""resolution's page: the officer desk (/desk)."""
