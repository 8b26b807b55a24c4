"""The top layer: the Textual App, its palette and the command line. Nothing imports it."""
