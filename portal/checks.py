"""System checks for what Django's own deploy checks do not cover (PROMISES P4, P40)."""
