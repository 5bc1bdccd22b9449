"""The main area (home, language, health) has no tables of its own."""
