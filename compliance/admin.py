"""Admin registrations of the compliance app."""
