"""Loading and validating data files; the ethnicity taxonomy; the seeded simulated sample."""
