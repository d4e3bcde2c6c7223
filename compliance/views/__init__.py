"""Views of the compliance app, one module per screen."""
