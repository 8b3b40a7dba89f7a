"""The report shell: A4 print by default, an A3 edition on request, both checked."""

import pytest

from hmip.build.catalogue import load_catalogue
from hmip.build.render import document
from hmip.errors import CatalogueError, ParameterError


def test_reports_print_on_a4_by_default_and_a3_on_request():
    a4 = document("t", "<p>x</p>")
    a3 = document("t", "<p>x</p>", paper="A3")
    assert "size: A4 portrait" in a4 and "size: A3" not in a4
    assert "size: A3 portrait" in a3 and 'data-paper="A3"' in a3
    with pytest.raises(ParameterError, match="accepted: A4, A3"):
        document("t", "", paper="Letter")


def test_the_catalogue_chooses_the_paper_and_refuses_others(tmp_path, root):
    good = tmp_path / "good.toml"
    good.write_text(
        '[settings]\npaper = "A3"\n[[report]]\nname = "a"\ntitle = "A"\nnotebook = "x.ipynb"\n'
    )
    assert load_catalogue(good)[1].paper == "A3"
    assert load_catalogue(root / "reports.toml")[1].paper == "A4"
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[settings]\npaper = "Letter"\n[[report]]\nname = "a"\ntitle = "A"\nnotebook = "x.ipynb"\n'
    )
    with pytest.raises(CatalogueError, match="accepted: A4, A3"):
        load_catalogue(bad)
