"""Views of the orders app, one module per screen."""
