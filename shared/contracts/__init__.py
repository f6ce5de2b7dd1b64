"""Wire models one service publishes and another reads: one definition, both sides."""
