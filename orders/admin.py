"""Admin registrations of the orders app."""
