"""The simulated sample's defaults, in a module with no heavy imports (the CLI's help reads them)."""

DEFAULT_SEED = 20220822  # fieldwork week of 22 Aug 2022

#: Default ethnicity effect: the relative reduction in the chance of a "sufficient" judgement for ethnic
#: minority people on the affected key questions (risk ratio 1 - effect = 0.80). 0 means no effect.
DEFAULT_ETHNICITY_EFFECT = 0.20
