"""Ethnicity: the ONS harmonised top-level groups (2021) plus "Not recorded", and the mapping from
detailed ONS categories and common spellings."""

from __future__ import annotations

import re

import pandas as pd

WHITE = "White"
MIXED = "Mixed or Multiple ethnic groups"
ASIAN = "Asian or Asian British"
BLACK = "Black, Black British, Caribbean or African"
OTHER = "Other ethnic group"
NOT_RECORDED = "Not recorded"
ETHNIC_GROUPS = (WHITE, MIXED, ASIAN, BLACK, OTHER, NOT_RECORDED)
ETHNICITY_DTYPE = pd.CategoricalDtype(list(ETHNIC_GROUPS))

#: ONS 2021 detailed categories (England) -> top-level group. The White minority categories
#: (Irish; Gypsy or Irish Traveller; Roma; Any other White background) are listed in
#: WHITE_MINORITY_DETAIL so groupings can treat them either way.
ONS_DETAILED = {
    "English, Welsh, Scottish, Northern Irish or British": WHITE,
    "Irish": WHITE,
    "Gypsy or Irish Traveller": WHITE,
    "Roma": WHITE,
    "Any other White background": WHITE,
    "White and Black Caribbean": MIXED,
    "White and Black African": MIXED,
    "White and Asian": MIXED,
    "Any other Mixed or Multiple background": MIXED,
    "Indian": ASIAN,
    "Pakistani": ASIAN,
    "Bangladeshi": ASIAN,
    "Chinese": ASIAN,
    "Any other Asian background": ASIAN,
    "Caribbean": BLACK,
    "African": BLACK,
    "Any other Black, Black British, or Caribbean background": BLACK,
    "Arab": OTHER,
    "Any other ethnic group": OTHER,
}
WHITE_MINORITY_DETAIL = ("Irish", "Gypsy or Irish Traveller", "Roma", "Any other White background")
_ETHNICITY_ALIASES = {
    "white": WHITE,
    "mixed": MIXED,
    "mixed or multiple": MIXED,
    "mixed or multiple ethnic groups": MIXED,
    "asian": ASIAN,
    "asian or asian british": ASIAN,
    "black": BLACK,
    "black, black british, caribbean or african": BLACK,
    "black or black british": BLACK,
    "other": OTHER,
    "other ethnic group": OTHER,
    "not recorded": NOT_RECORDED,
    "not stated": NOT_RECORDED,
    "unknown": NOT_RECORDED,
    "missing": NOT_RECORDED,
    "prefer not to say": NOT_RECORDED,
    "": NOT_RECORDED,
}
_ETHNICITY_LOOKUP = {**_ETHNICITY_ALIASES, **{k.lower(): v for k, v in ONS_DETAILED.items()}}


def map_ethnicity(value: str) -> str | None:
    """An ONS top-level group for a top-level or detailed ONS category (None if unrecognised)."""
    return _ETHNICITY_LOOKUP.get(re.sub(r"\s+", " ", str(value)).strip().lower())
