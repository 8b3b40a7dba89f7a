"""The simulated sample: reproducible, labelled, and carrying a known ethnicity effect."""

import hashlib

from hmip.data.cases import SIMULATED_CASES_FILE, load_cases
from hmip.data.loaders import SIMULATED_RATINGS_FILE
from hmip.data.provenance import provenance
from hmip.data.simulate import (
    national_scenario,
    simulate_cases,
    write_london_sample,
    write_scenario,
)


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_regenerating_with_the_same_seed_reproduces_the_shipped_files_byte_for_byte(tmp_path, root):
    paths = write_london_sample(tmp_path)
    assert [p.name for p in paths] == [SIMULATED_CASES_FILE, SIMULATED_RATINGS_FILE]
    for p in paths:
        assert "simulated" in p.name
        assert _sha(p) == _sha(root / "data" / p.name), (
            f"{p.name} differs from the shipped file; run `make data`"
        )


def test_a_different_seed_gives_a_different_sample_that_still_agrees(tmp_path, root):
    from hmip.data.cases import key_question_counts
    from hmip.rules.tables import rate_standards

    write_london_sample(tmp_path, seed=7)
    assert _sha(tmp_path / SIMULATED_CASES_FILE) != _sha(root / "data" / SIMULATED_CASES_FILE)
    counts = key_question_counts(load_cases(tmp_path / SIMULATED_CASES_FILE))
    rated = rate_standards(counts).set_index(["pdu", "standard"])["rating"]
    assert (
        rated.loc["Hammersmith, Fulham, Kensington, Chelsea and Westminster"] == "Inadequate"
    ).all()


def test_national_scale_set_and_stratified_sampling(tmp_path):
    scen = national_scenario(110)
    recs = simulate_cases(scen)
    assert len(recs) == 110 * 42 and len({r["pdu"] for r in recs}) == 110
    # proportional stratification: every PDU has the same count of each gender x sentence type
    from collections import Counter

    per_pdu = Counter((r["pdu"], r["gender"], r["sentence_type"]) for r in recs)
    assert len({v for (p, g, s), v in per_pdu.items() if (g, s) == ("male", "community")}) == 1
    paths = write_scenario(national_scenario(3), tmp_path)
    assert all("simulated" in p.name for p in paths) and provenance(load_cases(paths[0])).simulated
