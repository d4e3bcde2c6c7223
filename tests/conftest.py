"""Shared fixtures: the cast (alice, maria, olga) and the services the suite talks to."""
