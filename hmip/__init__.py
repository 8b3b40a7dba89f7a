"""hmip: HMIP inspection rating rules and analysis."""
