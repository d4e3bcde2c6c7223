"""Views of the compliance app."""
