"""The population figures behind the impunity index: shipped, cited, parseable, refreshable."""

import csv

import pytest

from cases import figures
from cases.data import refresh_population
from cases.figures import POPULATION_CSV

README = POPULATION_CSV.parent / "README.md"


def read_rows():
    with POPULATION_CSV.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["iso2", "name", "population", "year"]
        return list(reader)


def test_population_csv_covers_more_than_200_countries_once_each():
    codes = [row["iso2"] for row in read_rows()]
    assert len(codes) > 200
    assert len(codes) == len(set(codes))


def test_every_population_is_a_positive_integer_with_a_plausible_year():
    for row in read_rows():
        assert row["population"].isdigit(), row
        assert int(row["population"]) > 0, row
        assert 2015 <= int(row["year"]) <= 2030, row


def test_every_code_is_an_iso_3166_alpha_2_code():
    from django_countries import countries

    for row in read_rows():
        assert row["iso2"] in countries, row


@pytest.mark.parametrize("code", ["MX", "PH", "IN", "BR", "PK", "RU", "SY", "IQ", "PS", "SO"])
def test_countries_with_many_killed_journalists_are_present(code):
    assert code in {row["iso2"] for row in read_rows()}


def test_orders_of_magnitude_are_right():
    people = {row["iso2"]: int(row["population"]) for row in read_rows()}
    assert 1_300_000_000 < people["IN"] < 1_500_000_000
    assert 120_000_000 < people["MX"] < 140_000_000
    assert 300_000 < people["MT"] < 700_000


def test_figures_module_loads_the_shipped_file():
    figures.populations.cache_clear()
    loaded = figures.populations()
    assert len(loaded) == len(read_rows())
    assert loaded["MX"].people > 100_000_000
    assert loaded["MX"].year == 2023


def test_readme_cites_source_licence_and_refresh():
    text = README.read_text(encoding="utf-8")
    assert "SP.POP.TOTL" in text
    assert "CC BY 4.0" in text
    assert "api.worldbank.org/v2/en/indicator/SP.POP.TOTL?downloadformat=csv" in text


WDI_SAMPLE = (
    '"Data Source","World Development Indicators",\n'
    "\n"
    '"Last Updated Date","2025-07-01",\n'
    "\n"
    '"Country Name","Country Code","Indicator Name","Indicator Code","2022","2023","2024",\n'
    '"Mexico","MEX","Population, total","SP.POP.TOTL","128000000","129000000","130000000",\n'
    '"Eritrea","ERI","Population, total","SP.POP.TOTL","3400000","","",\n'
    '"World","WLD","Population, total","SP.POP.TOTL","7900000000","8000000000","8100000000",\n'
    '"Euro area","EMU","Population, total","SP.POP.TOTL","346000000","347000000","348000000",\n'
    '"Kosovo","XKX","Population, total","SP.POP.TOTL","1700000","1750000","1760000",\n'
    '"Philippines","PHL","Population, total","SP.POP.TOTL","113000000","114000000","115000000",\n'
)


def test_refresh_script_converts_the_wdi_csv_and_skips_aggregates(tmp_path):
    source = tmp_path / "API_SP.POP.TOTL_DS2_en_csv_v2_1.csv"
    source.write_text(WDI_SAMPLE, encoding="utf-8")
    output = tmp_path / "population.csv"
    refresh_population.main([str(source), "--output", str(output)])
    with output.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [
        {"iso2": "ER", "name": "Eritrea", "population": "3400000", "year": "2022"},
        {"iso2": "MX", "name": "Mexico", "population": "130000000", "year": "2024"},
        {"iso2": "PH", "name": "Philippines", "population": "115000000", "year": "2024"},
    ]
