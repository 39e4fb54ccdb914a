"""Scenario files: YAML and CSV read the same promotion; every mistake names the key and the fix."""

from datetime import date
from pathlib import Path

import pytest

from inventory_pipeline.whatif import ScenarioError, find_scenario_file, read_scenario


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_yaml_and_csv_give_the_same_scenario(tmp_path: Path) -> None:
    yaml_file = write(tmp_path, "spring.yaml", (
        "skus: [SKU-2, SKU-1]\nstart: 2025-06-10\nend: 2025-06-16\ndiscounts: [30, 10]\n"
        "promo_name: Spring sale\n"
    ))  # fmt: skip
    folder = tmp_path / "csv"
    folder.mkdir()
    csv_file = write(folder, "spring.csv", (
        "sku,start_date,end_date,discount_pct,name\n"
        "SKU-1,2025-06-10,2025-06-16,10,Spring sale\nSKU-2,2025-06-10,2025-06-16,30,Spring sale\n"
    ))  # fmt: skip
    a, b = read_scenario(yaml_file), read_scenario(csv_file)
    assert a.key == b.key == "spring"
    assert a.discounts == b.discounts == (10.0, 30.0)
    assert set(a.skus) == set(b.skus) == {"SKU-1", "SKU-2"}
    assert (a.start, a.end, a.days) == (date(2025, 6, 10), date(2025, 6, 16), 7)
    assert a.promo_name == b.promo_name == "Spring sale"


def test_a_category_selector_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path, "cookware.yml", (
        "category: home/kitchen\nbrand: Acme\nstart: 2025-06-10\nend: 2025-06-10\ndiscount: 20%\n"
    ))  # fmt: skip
    s = read_scenario(path)
    assert (s.category, s.brand, s.skus, s.discounts) == ("home/kitchen", "Acme", (), (20.0,))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "skus: [A]\nstart: 2025-06-10\nend: 2025-06-01\ndiscount: 20\n",
            "end 2025-06-01 is before start",
        ),
        (
            "skus: [A]\nstart: 2025-06-10\nend: 2025-06-12\ndiscount: 120\n",
            "outside 0 < discount < 100",
        ),
        (
            "skus: [A]\nstart: 2025-06-10\nend: 2025-06-12\ndiscount: lots\n",
            "'lots' is not a number",
        ),
        ("skus: [A]\nstart: 10/06/2025\nend: 2025-06-12\ndiscount: 20\n", "write YYYY-MM-DD"),
        ("skus: [A]\nend: 2025-06-12\ndiscount: 20\n", "`start` is missing"),
        ("start: 2025-06-10\nend: 2025-06-12\ndiscount: 20\n", "no products selected"),
        ("skus: [A]\nstart: 2025-06-10\nend: 2025-06-12\n", "no discount given"),
        (
            "skus: [A]\nstart: 2025-06-10\nend: 2025-06-12\ndiscount: 20\ndiscont: 5\n",
            "unknown key(s) ['discont']",
        ),
        (
            "skus: [A]\ncategory: home\nstart: 2025-06-10\nend: 2025-06-12\ndiscount: 20\n",
            "not both",
        ),
    ],
)
def test_bad_yaml_scenarios_say_what_to_fix(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as err:
        read_scenario(write(tmp_path, "plan.yaml", text))
    assert expected in str(err.value)
    assert str(err.value).startswith("plan.yaml")


def test_bad_csv_scenarios_say_what_to_fix(tmp_path: Path) -> None:
    header = "sku,start_date,end_date,discount_pct\n"
    with pytest.raises(ScenarioError, match="column start_date differs between rows"):
        read_scenario(
            write(
                tmp_path,
                "a.csv",
                header + "A,2025-06-10,2025-06-12,20\nB,2025-06-11,2025-06-12,20\n",
            )
        )
    with pytest.raises(ScenarioError, match=r"missing \['discount_pct'\]"):
        read_scenario(
            write(tmp_path, "b.csv", "sku,start_date,end_date\nA,2025-06-10,2025-06-12\n")
        )
    with pytest.raises(ScenarioError, match="no data rows"):
        read_scenario(write(tmp_path, "c.csv", header))


def test_file_names_are_keys(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="rename the file"):
        read_scenario(write(tmp_path, "spring sale.yaml", "skus: [A]\n"))
    write(tmp_path, "x.yaml", "skus: [A]\n")
    write(tmp_path, "x.csv", "sku\n")
    with pytest.raises(ScenarioError, match="several files"):
        find_scenario_file(tmp_path, "x")
    with pytest.raises(ScenarioError, match="no scenario file gone.yaml"):
        find_scenario_file(tmp_path, "gone")
